"""Follow-up events through ``POST /v1/suivis``: events per second, first sending (added) and again (already recorded).

Imports the example flux (2,000 dossiers) into a fresh SQLite base, then sends one ``dossier_complet`` event per
dossier imported (dated 10 days after its request) in lists of ``--taille`` events, through the application in process
(ASGI, no network: the route's own cost), and prints the figures.  ``python benchmarks/bench_suivis_api.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from orientation.espace.importation import importer_flux
from orientation.orientateur import Orientateur
from orientation.service import Parametres, creer_application
from orientation.stockage import cles
from orientation.stockage.espace import DossierEspace
from orientation.stockage.migrations import migrer
from orientation.stockage.moteur import creer_moteur, fabrique_sessions

FLUX = Path(__file__).resolve().parents[1] / "examples" / "flux_exemple.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taille", type=int, default=1000, help="événements par requête (défaut : 1000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as dossier:
        base = f"sqlite:///{dossier}/bench.sqlite3"
        moteur = creer_moteur(base)
        migrer(moteur)
        sessions = fabrique_sessions(moteur)
        o = Orientateur.charger(None, False)
        importer_flux(sessions, FLUX, "93", o.referentiel("93"), o.modele)
        with sessions() as db:
            cle = cles.creer_cle(db, "bench", ["93"])[1]
        with sessions() as db:  # the dossiers the import kept (rows it rejected are not in the base)
            dossiers = db.execute(select(DossierEspace.identifiant, DossierEspace.date_demande)
                                  .order_by(DossierEspace.id)).all()
        evenements = [{"departement": "93", "identifiant": ident, "date_demande": demande.isoformat(),
                       "type": "dossier_complet", "date": (demande + timedelta(days=10)).isoformat()}
                      for ident, demande in dossiers]
        app = creer_application(Parametres(base=base))
        entete = {"Authorization": f"Bearer {cle}"}
        with TestClient(app) as client:
            for passage in ("ajoutés", "déjà enregistrés"):
                debut = time.perf_counter()
                ajoutes = 0
                for i in range(0, len(evenements), args.taille):
                    r = client.post("/v1/suivis", json=evenements[i:i + args.taille], headers=entete)
                    assert r.status_code == 200, r.text[:500]
                    ajoutes += r.json()["ajoutes"]
                duree = time.perf_counter() - debut
                debit = f"{len(evenements) / duree:,.0f}".replace(",", "\u202f")
                print(f"{len(evenements)} événements {passage} ({ajoutes} ajoutés), requêtes de {args.taille} : "
                      f"{duree:.2f} s, {debit} événements/s")
        moteur.dispose()


if __name__ == "__main__":
    main()
