"""Regenerate the example events file (SYNTHETIC paths, fixed seed) used by ``make demo``.

    python examples/generer_evenements_exemple.py

Writes ``examples/evenements_exemple.csv``: one row per row of ``examples/flux_exemple.csv`` (read
with the csv module), with the same identifiers (all ``SYN-``: no real person), the same request,
opening and notification dates, then synthetic later events, as an extraction made on
:data:`DATE_EXTRACTION` would show them: events after that date are empty (not happened yet).
The two example flux rows with impossible dates keep them, so the report shows its rejects too.
The same seed always writes the same file (``tests/test_pilotage_cli.py`` checks it).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Optional

ICI = Path(__file__).resolve().parent
GRAINE = 15
DATE_EXTRACTION = date(2025, 12, 31)
COLONNES = ["identifiant", "date_demande", "date_dossier_complet", "date_ouverture_droits",
            "date_notification_droits", "date_orientation", "date_absence_premier_rdv", "date_relance",
            "date_premier_rdv", "date_signature_cer", "structure", "parcours"]
#: (route, referent body, weight) of the synthetic orientations.
ORIENTATIONS = [("professionnel", "france_travail", 50), ("professionnel", "mission_locale", 5),
                ("socio_professionnel", "departement", 20), ("socio_professionnel", "structure_insertion", 5),
                ("social", "departement", 12), ("social", "ccas", 8)]


def _date(texte: str) -> Optional[date]:
    try:
        return date.fromisoformat(texte)
    except ValueError:
        return None


def _jours(hasard: random.Random, mediane: float, dispersion: float, minimum: int = 0) -> int:
    """A skewed delay in days (log-normal around ``mediane``)."""
    return max(minimum, round(hasard.lognormvariate(0, dispersion) * mediane))


def _ligne(flux: dict[str, str], hasard: random.Random) -> dict[str, str]:
    demande, ouverture, notification = (_date(flux[c]) for c in ("dtdemrsa", "dtouvdroit", "dtnotifdroit"))
    ev: dict[str, object] = {"identifiant": flux["identifiant"], "date_demande": flux["dtdemrsa"],
                             "date_ouverture_droits": flux["dtouvdroit"], "date_notification_droits": flux["dtnotifdroit"]}
    if demande is None:  # an impossible date of the example flux: kept as is, the report rejects the row
        return {c: str(ev.get(c, "")) for c in COLONNES}
    fin_instruction = notification if notification is not None and notification >= demande else None
    ecart = (fin_instruction - demande).days if fin_instruction else 30
    ev["date_dossier_complet"] = demande + timedelta(days=round(ecart * hasard.uniform(0.1, 0.7)))
    reference = notification or ouverture  # the start of the orientation deadlines of a decision
    if reference is not None and hasard.random() > 0.07:  # 7 % never oriented (by the extraction at least)
        orientation = max(reference, demande) + timedelta(days=_jours(hasard, 38, 0.6, minimum=3))
        ev["date_orientation"] = orientation
        parcours, structure = hasard.choices([(p, s) for p, s, _ in ORIENTATIONS],
                                             weights=[w for *_, w in ORIENTATIONS])[0]
        ev["parcours"], ev["structure"] = parcours, structure
        premier = orientation + timedelta(days=_jours(hasard, 12, 0.5, minimum=1))
        honore: Optional[date] = premier
        if hasard.random() < 0.22:  # absent at the first appointment
            ev["date_absence_premier_rdv"] = premier
            if hasard.random() < 0.85:
                ev["date_relance"] = premier + timedelta(days=_jours(hasard, 9, 0.6))
            honore = premier + timedelta(days=_jours(hasard, 20, 0.4, minimum=1)) if hasard.random() < 0.7 else None
        if honore is not None:
            ev["date_premier_rdv"] = honore
            if hasard.random() < 0.88:
                ev["date_signature_cer"] = honore + timedelta(days=_jours(hasard, 5, 0.8))
    # what an extraction on DATE_EXTRACTION shows: later events have not happened yet
    for c in COLONNES[5:10]:
        if isinstance(ev.get(c), date) and ev[c] > DATE_EXTRACTION:  # type: ignore[operator]
            ev[c] = None
    if ev.get("date_orientation") is None:
        for c in COLONNES[6:]:
            ev[c] = None
    elif ev.get("date_absence_premier_rdv") is None:
        ev["date_relance"] = None
    return {c: "" if ev.get(c) is None else str(ev[c]) for c in COLONNES}


def generer() -> str:
    """The example events file's text."""
    hasard = random.Random(GRAINE)
    with (ICI / "flux_exemple.csv").open(encoding="utf-8", newline="") as f:
        lignes = [_ligne(r, hasard) for r in csv.DictReader(f)]
    tampon = io.StringIO()
    w = csv.DictWriter(tampon, fieldnames=COLONNES, lineterminator="\n")
    w.writeheader()
    w.writerows(lignes)
    return tampon.getvalue()


def main() -> None:
    texte = generer()
    (ICI / "evenements_exemple.csv").write_text(texte, encoding="utf-8", newline="")
    print(f"{texte.count(chr(10)) - 1} personnes SYNTHÉTIQUES écrites dans {ICI / 'evenements_exemple.csv'} "
          f"(extraction simulée au {DATE_EXTRACTION.isoformat()}).")


if __name__ == "__main__":
    main()
