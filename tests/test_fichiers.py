"""orientation.fichiers: lire_texte_utf8, the one reader of small UTF-8 input files (events file, follow-up file)."""

from __future__ import annotations

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
