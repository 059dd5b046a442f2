"""The events file: contract, French rejects (line, field, value, reason), whole-file errors, counting."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from orientation.pilotage.evenements import COLONNES, EvenementsIllisibles, lire_fichier, lire_texte
from orientation.pilotage.sources import SourceEvenements, SourceFichier, SourceIndisponible, source_base

ENTETE = ",".join(COLONNES)
VIDE = {c: "" for c in COLONNES}


def _ligne(**cellules: str) -> str:
    valeurs = {**VIDE, "identifiant": "X1", "date_demande": "2025-01-10", **cellules}
    tampon = io.StringIO()
    csv.writer(tampon, lineterminator="\n").writerow([valeurs[c] for c in COLONNES])
    return tampon.getvalue()[:-1]


def _rejets(*lignes: str) -> list[tuple[int, str, object, str]]:
    lecture = lire_texte(ENTETE + "\n" + "\n".join(lignes) + "\n", "t.csv")
    return [(r.ligne, r.champ, r.valeur, r.raison) for r in lecture.rejets]


def test_ligne_complete_lue() -> None:
    lecture = lire_texte(ENTETE + "\n" + _ligne(date_orientation="2025-02-01", date_premier_rdv="2025-02-10",
                                                structure="ccas", parcours="social") + "\n", "t.csv")
    (p,) = lecture.personnes
    assert (p.identifiant, p.ligne, p.date_orientation, p.structure.value, p.parcours.value) == \
        ("X1", 2, date(2025, 2, 1), "ccas", "social")
    assert p.date_notification_droits is None  # empty = not happened yet


@pytest.mark.parametrize("cellules, champ, raison", [
    ({"date_demande": ""}, "date_demande", "date de la demande obligatoire"),
    ({"date_demande": "2025-02-30"}, "date_demande", "date invalide"),
    ({"date_orientation": "10/02/2025"}, "date_orientation", "attendu AAAA-MM-JJ"),
    ({"date_orientation": "20250210"}, "date_orientation", "attendu AAAA-MM-JJ"),  # fromisoformat would take it
    ({"identifiant": ""}, "identifiant", "identifiant obligatoire"),
    ({"date_dossier_complet": "2025-01-09"}, "date_dossier_complet", "avant la demande"),
    ({"date_notification_droits": "2025-01-01"}, "date_notification_droits", "notifiés avant la demande"),
    ({"date_premier_rdv": "2025-02-01"}, "date_premier_rdv", "sans date d'orientation"),
    ({"date_signature_cer": "2025-02-01"}, "date_signature_cer", "sans date d'orientation"),
    ({"parcours": "social"}, "parcours", "sans date d'orientation"),
    ({"date_orientation": "2025-02-01", "structure": "pole_emploi"}, "structure", "valeur inconnue"),
    ({"date_orientation": "2025-02-01", "parcours": "pro"}, "parcours", "valeurs admises"),
    ({"date_orientation": "2025-02-01", "date_premier_rdv": "2025-01-31"}, "date_premier_rdv", "précéder"),
    ({"date_orientation": "2025-02-01", "date_absence_premier_rdv": "2025-02-05", "date_relance": "2025-02-04"},
     "date_relance", "la relance ne peut précéder l'absence"),
    ({"date_orientation": "2025-02-01", "date_relance": "2025-02-04"}, "date_relance", "relance sans absence"),
    ({"date_orientation": "2025-02-01", "date_absence_premier_rdv": "2025-02-05", "date_premier_rdv": "2025-02-05"},
     "date_premier_rdv", "doit suivre l'absence"),
])
def test_rejets_en_francais(cellules: dict[str, str], champ: str, raison: str) -> None:
    rejets = _rejets(_ligne(**cellules))
    assert rejets and all(r[0] == 2 for r in rejets)
    assert any(r[1] == champ and raison in r[3] for r in rejets), rejets
    assert any(r[2] == cellules.get(champ, "") for r in rejets if r[1] == champ)  # the cell as read


def test_identifiant_en_double_et_nombre_de_cellules() -> None:
    rejets = _rejets(_ligne(), _ligne(), "X3,2025-01-01")
    assert rejets[0] == (3, "identifiant", "X1", "identifiant déjà présent ligne 2")
    assert rejets[1][:2] == (4, "(ligne)") and "12 cellules attendues" in rejets[1][3]


def test_plusieurs_champs_en_erreur_une_seule_ligne_rejetee() -> None:
    lecture = lire_texte(ENTETE + "\n" + _ligne(date_demande="x", parcours="y") + "\n", "t.csv")
    assert len(lecture.rejets) == 3 and lecture.lignes_rejetees == 1 and lecture.lignes_lues == 1


def test_cellule_multiligne_porte_le_numero_de_sa_premiere_ligne() -> None:
    texte = ENTETE + "\n" + _ligne(identifiant="A\nB", date_demande="bad") + "\n" + _ligne(identifiant="C") + "\n"
    lecture = lire_texte(texte, "t.csv")
    assert [r.ligne for r in lecture.rejets] == [2] and lecture.personnes[0].ligne == 4


@pytest.mark.parametrize("contenu, cause", [
    (b"", "vide"),
    (b"\n\n", "vide"),
    (ENTETE.replace("structure,", "").encode(), "colonne(s) manquante(s) : structure"),
    ((ENTETE + ",age").encode(), "colonne(s) inconnue(s) : age"),
    ((ENTETE + ",parcours").encode(), "colonne(s) en double : parcours"),
    ((ENTETE + "\n" + "X1,2025-01-10" + "," * 10 + "\n").encode("utf-8") + b"\xe9t\xe9\n", "ligne 3, octets non UTF-8"),
])
def test_fichier_refuse_en_entier(tmp_path: Path, contenu: bytes, cause: str) -> None:
    chemin = tmp_path / "ev.csv"
    chemin.write_bytes(contenu)
    with pytest.raises(EvenementsIllisibles) as exc:
        lire_fichier(chemin)
    assert str(chemin) in str(exc.value) and cause in str(exc.value)


def test_fichier_absent_ou_repertoire(tmp_path: Path) -> None:
    for chemin in (tmp_path / "absent.csv", tmp_path):
        with pytest.raises(EvenementsIllisibles, match="introuvable ou n'est pas un fichier ordinaire"):
            lire_fichier(chemin)


def test_bom_et_lignes_vides_ignores(tmp_path: Path) -> None:
    chemin = tmp_path / "ev.csv"
    chemin.write_bytes(b"\xef\xbb\xbf" + (ENTETE + "\n\n" + _ligne() + "\n\n").encode())
    lecture = lire_fichier(chemin)
    assert (lecture.lignes_lues, len(lecture.personnes), lecture.personnes[0].ligne) == (1, 1, 3)


def test_sources() -> None:
    source = SourceFichier(Path("examples/evenements_exemple.csv"))
    assert isinstance(source, SourceEvenements)
    assert source.description == "fichier d'événements evenements_exemple.csv"
    with pytest.raises(SourceIndisponible, match="--departement obligatoire") as exc:
        source_base("postgresql://utilisateur:secret@hote/base", None)
    assert "secret" not in str(exc.value)  # a URL may carry a password: never repeated
    base = source_base("postgresql://utilisateur:secret@hote/base", " 2a ")
    assert isinstance(base, SourceEvenements)  # built without connecting: the database is read by lire()
    assert base.description == "base de l'espace référent postgresql://utilisateur:***@hote/base, département 2A"


_cellule = st.one_of(st.just(""), st.sampled_from(["2025-01-10", "2025-02-01", "2025-02-30", "2024-02-29", "x",
                                                    "social", "ccas", "2025-03-01"]), st.text(max_size=4))


@given(st.lists(st.lists(_cellule, min_size=10, max_size=13), max_size=15))
def test_chaque_ligne_lue_est_retenue_ou_rejetee(lignes: list[list[str]]) -> None:
    tampon = io.StringIO()
    w = csv.writer(tampon, lineterminator="\n")
    w.writerow(list(COLONNES))
    w.writerows(lignes)
    lecture = lire_texte(tampon.getvalue(), "t.csv")
    assert lecture.lignes_lues == len(lecture.personnes) + lecture.lignes_rejetees
    assert not {p.ligne for p in lecture.personnes} & {r.ligne for r in lecture.rejets}
    for p in lecture.personnes:  # what is kept is coherent
        if p.date_signature_cer or p.date_premier_rdv or p.structure:
            assert p.date_orientation is not None
