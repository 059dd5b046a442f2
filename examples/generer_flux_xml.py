"""Regenerate the example CAF XML flux (SYNTHETIC dossiers, fixed seed): ``examples/flux_cnaf_exemple.xml``.

    python examples/generer_flux_xml.py

The same people as the first 200 rows of ``examples/flux_exemple.csv`` (written by
``generer_flux_exemple.py``), one ``InfoDemandeRSA`` record each, in the structure described in
:mod:`orientation.dossier.cnaf_xml`; every third record gives its children as ``Personne``
elements (``ROLEPERS`` ``ENF``, birth dates) instead of ``AGESENFANTS``.  Added: the CAF's
pre-routing (``Parcours``: ``NATPARCOCAL``, sometimes ``NATPARCOMOD`` and ``MOTIMODPARCO``),
drawn with a fixed seed from the DSP answers, and a few deliberately bad records and an unknown
element so that the demo shows rejects and the list of unknown elements.  Every identifier starts
with ``SYN-``: no real person.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from orientation.dossier.cnaf_xml import ecrire_xml, enregistrement_xml
from orientation.dossier.tabulaire import ligne_vers_enregistrement

ICI = Path(__file__).resolve().parent
N = 200
GRAINE = 14

#: Deliberately bad records: (where to insert, XML text, what is wrong)
MAUVAIS = [
    (40, "<InfoDemandeRSA><IdentificationRSA><DemandeRSA><NUMDEMRSA>SYN-XML-ENF</NUMDEMRSA>"
         "<DTDEMRSA>2025-06-02</DTDEMRSA></DemandeRSA></IdentificationRSA><Personne><Identification>"
         "<DTNAI>2015-04-01</DTNAI></Identification><Prestations><NATPREST>RSA</NATPREST><ROLEPERS>ENF</ROLEPERS>"
         "</Prestations></Personne></InfoDemandeRSA>", "aucune personne demandeur ou conjoint"),
    (90, None, "NATPARCOCAL inconnu (XX)"),
    (150, None, "date de naissance impossible (1990-13-45)"),
]
#: Record (0-based rank among the 200) carrying an element that is not in the CNAF flux.
INCONNU = 7


def _preorientation(rec: dict, alea: random.Random) -> dict:
    """A plausible CAF pre-routing from the DSP answers (synthetic: not the CAF's algorithm)."""
    precaire = str(rec.get("natlog", "")) in {"0903", "0904", "0905", "0906", "0910", "0911", "0912", "0913"}
    difficultes = [c for c in rec.get("difsoc") or [] if c != "0401"]
    code = "PS" if precaire or "0402" in difficultes else "AS" if difficultes else "PP"
    if alea.random() < 0.15:  # the CAF sometimes routes otherwise
        code = alea.choice([c for c in ("PP", "AS", "PS") if c != code])
    out = {"natparcocal": code}
    if alea.random() < 0.1:
        out["natparcomod"] = alea.choice([c for c in ("PP", "AS", "PS") if c != code])
        out["motimodparco"] = alea.choice(["CL", "EA"])
    return out


def main() -> None:
    alea = random.Random(GRAINE)
    with (ICI / "flux_exemple.csv").open(encoding="utf-8", newline="") as f:
        lignes = [ligne for _, ligne in zip(range(N), csv.DictReader(f))]
    textes = []
    for i, ligne in enumerate(lignes):
        rec = ligne_vers_enregistrement({k: v for k, v in ligne.items() if k != "departement"})
        rec.update(_preorientation(rec, alea))
        if i == 90:
            rec["natparcocal"] = "XX"
        if i == 150:
            rec["dtnai"] = "1990-13-45"
        texte = enregistrement_xml(rec, enfants_en_personnes=(i % 3 == 0))
        if i == INCONNU:
            texte = texte.replace("</Personne>", "<CodeTerritoireCAF>T42</CodeTerritoireCAF></Personne>", 1)
        textes.append(texte)
    for position, texte, _ in sorted((m for m in MAUVAIS if m[1] is not None), reverse=True):
        textes.insert(position, texte)
    entete = ("<!-- Flux CAF SYNTHÉTIQUE (aucune personne réelle) : les 200 premiers dossiers de flux_exemple.csv, "
              "au format XML des flux CNAF (voir orientation.dossier.cnaf_xml), avec la pré-orientation de la CAF "
              "et quelques enregistrements volontairement invalides. "
              "Régénérer : python examples/generer_flux_xml.py -->")
    with (ICI / "flux_cnaf_exemple.xml").open("w", encoding="utf-8") as f:
        f.writelines(ecrire_xml(textes, entete))
    print(f"{N} dossiers SYNTHÉTIQUES (+1 enregistrement sans demandeur) écrits dans "
          f"{ICI / 'flux_cnaf_exemple.xml'}.")


if __name__ == "__main__":
    main()
