"""orientation.fichiers: lire_texte_utf8, the one reader of small UTF-8 input files (events file, follow-up file)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from orientation.fichiers import lire_texte_utf8


class _Refus(ValueError):
    pass


def test_texte_lu_sans_bom(tmp_path: Path) -> None:
    f = tmp_path / "a.csv"
    f.write_bytes(b"\xef\xbb\xbfidentifiant;date\nX;2025-01-01\n")
    assert lire_texte_utf8(f, "fichier de test", _Refus) == "identifiant;date\nX;2025-01-01\n"


def test_fichier_absent_ou_repertoire(tmp_path: Path) -> None:
    for chemin in (tmp_path / "absent.csv", tmp_path):
        with pytest.raises(_Refus, match=r"^fichier de test .* : introuvable ou n'est pas un fichier ordinaire$"):
            lire_texte_utf8(chemin, "fichier de test", _Refus)


def test_octets_non_utf8_nomment_la_ligne(tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes("a\nb\nRené\n".encode("latin-1"))
    with pytest.raises(_Refus, match=r"latin1\.csv : ligne 3, octets non UTF-8 ; enregistrer le fichier en UTF-8"):
        lire_texte_utf8(f, "fichier de test", _Refus)


def test_publier_ecrit_tout_sans_partiel_et_nomme_la_sortie_en_erreur(tmp_path: Path) -> None:
    from orientation.fichiers import publier

    a, b = tmp_path / "a.html", tmp_path / "b.md"
    a.write_text("ancien", encoding="utf-8")
    publier({a: "nouveau A\n", b: "nouveau B\n"})
    assert a.read_text(encoding="utf-8") == "nouveau A\n" and b.read_text(encoding="utf-8") == "nouveau B\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "b.md"]  # no partial file left
    absent = tmp_path / "absent" / "c.json"
    with pytest.raises(OSError) as exc:
        publier({absent: "{}"})
    assert exc.value.filename == str(absent)


@pytest.mark.parametrize("echec_au", [1, 2, 3])
def test_publier_tout_ou_rien_quand_un_renommage_echoue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        echec_au: int) -> None:
    """A rename failing after others succeeded leaves the previous outputs exactly as they were."""
    import orientation.fichiers as fichiers

    a, b, c = tmp_path / "a.html", tmp_path / "b.md", tmp_path / "c.json"
    a.write_text("ancien A", encoding="utf-8")
    c.write_text("ancien C", encoding="utf-8")
    vrai_replace, appels = os.replace, []

    def replace_qui_echoue(src: str, dst: str) -> None:
        appels.append(dst)
        if len(appels) == echec_au:
            raise OSError(errno.ENOSPC, "No space left on device")
        vrai_replace(src, dst)

    monkeypatch.setattr(fichiers.os, "replace", replace_qui_echoue)
    with pytest.raises(OSError) as exc:
        fichiers.publier({a: "nouveau A", b: "nouveau B", c: "nouveau C"})
    monkeypatch.setattr(fichiers.os, "replace", vrai_replace)
    assert exc.value.filename == str([a, b, c][echec_au - 1])
    assert a.read_text(encoding="utf-8") == "ancien A" and c.read_text(encoding="utf-8") == "ancien C"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "c.json"]  # b never existed; no hidden file


def test_publier_remplace_sans_laisser_de_sauvegarde(tmp_path: Path) -> None:
    from orientation.fichiers import publier

    a = tmp_path / "a.html"
    a.write_text("ancien", encoding="utf-8")
    lien = tmp_path / "lien.html"
    os.link(a, lien)  # another name of the old content keeps it: publication replaces, never writes through
    publier({a: "nouveau"})
    assert a.read_text(encoding="utf-8") == "nouveau" and lien.read_text(encoding="utf-8") == "ancien"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "lien.html"]
