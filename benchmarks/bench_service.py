"""Throughput of the HTTP service, against a real ``orientation servir`` on 127.0.0.1 (prints figures, asserts nothing).

One run prints:

1. the in-process baseline: ``Orientateur.recommend()`` dossiers/s (same machine, same moment);
2. single-dossier requests (``POST /v1/recommandations``, one dossier each): requests/s, p50 and p99
   latency, with ``--connexions`` concurrent connections for ``--duree`` seconds;
3. batches of ``--lot`` dossiers per request: dossiers/s;
4. the cost of an API key check (read from the database at every request, so that a revocation is
   immediate), in process, after the server is stopped.

The load comes from a separate process: ``wrk`` (Debian package) when installed, otherwise an asyncio
client of this script (``--client``, httpx).  The server runs ``--processus`` worker processes with the
demo model (trained on SYNTHETIC data), on a temporary SQLite database.  Every request goes to
127.0.0.1 and the run stops by itself.  Targets (issue 11, 2 cores): 800 single requests/s with a p99 of at
most 25 ms; 30,000 dossiers/s in batches.  On a shared machine, compare with the baseline of the same run.

    python benchmarks/bench_service.py [--processus 2] [--connexions 8] [--duree 10] [--lot 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RACINE = Path(__file__).resolve().parents[1]
ORIENTATION = Path(sys.executable).parent / "orientation"
DOSSIER = RACINE / "examples" / "dossiers" / "primo_demandeuse_sans_abri.json"


def _fr(x: float, decimales: int = 0) -> str:
    return f"{x:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")


def referentiel_en_memoire(duree: float) -> float:
    """In-process recommend() rate on the synthetic dossiers of the batches (reference chain)."""
    from orientation import Dossier, Orientateur

    o = Orientateur.charger(modele="demo")
    dossiers = [Dossier.depuis_cnaf(r) for r in _lot(500)]
    o.recommend(dossiers[0])
    n, debut = 0, time.perf_counter()
    while time.perf_counter() - debut < duree:
        o.recommend(dossiers[n % len(dossiers)])
        n += 1
    return n / (time.perf_counter() - debut)


def _lot(n: int) -> list[dict]:
    from orientation.modele.synthetique import generer_cnaf

    return [json.loads(json.dumps(r, default=str)) for r, _ in generer_cnaf(n, graine=11)]


# --------------------------------------------------------------------------- load generators (separate process)


def _wrk(url: str, cle: str, corps: Path, connexions: int, duree: float) -> tuple[float, float, float, int]:
    script = corps.with_suffix(".lua")
    script.write_text(
        'wrk.method = "POST"\n'
        f'wrk.headers["Authorization"] = "Bearer {cle}"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{corps}", "rb"); wrk.body = f:read("*all"); f:close()\n'
        'done = function(summary, latency, requests)\n'
        '  io.write(string.format("RESULTAT %d %f %f %f %d\\n", summary.requests, summary.duration / 1e6,\n'
        '    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,\n'
        '    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))\n'
        'end\n', encoding="utf-8")
    sortie = subprocess.run(["wrk", "-t", "1", "-c", str(connexions), "-d", f"{int(duree)}s", "-s", str(script),
                             url], capture_output=True, text=True, timeout=duree + 60).stdout
    n, secondes, p50, p99, erreurs = re.search(r"RESULTAT (\d+) (\S+) (\S+) (\S+) (\d+)", sortie).groups()
    return int(n) / float(secondes), float(p50), float(p99), int(erreurs)


async def _client_async(url: str, cle: str, corps: bytes, connexions: int, duree: float) -> dict:
    import httpx

    latences: list[float] = []
    erreurs = 0
    limites = httpx.Limits(max_connections=connexions, max_keepalive_connections=connexions)
    async with httpx.AsyncClient(limits=limites, timeout=60,
                                 headers={"Authorization": f"Bearer {cle}",
                                          "Content-Type": "application/json"}) as client:
        fin = time.perf_counter() + duree

        async def boucle() -> None:
            nonlocal erreurs
            while time.perf_counter() < fin:
                t = time.perf_counter()
                r = await client.post(url, content=corps)
                await r.aread()
                latences.append(time.perf_counter() - t)
                erreurs += r.status_code != 200

        debut = time.perf_counter()
        await asyncio.gather(*(boucle() for _ in range(connexions)))
        ecoule = time.perf_counter() - debut
    latences.sort()
    return {"n": len(latences), "secondes": ecoule, "p50": latences[len(latences) // 2] * 1000,
            "p99": latences[int(len(latences) * 0.99)] * 1000, "erreurs": erreurs}


def charge(url: str, cle: str, corps: Path, connexions: int, duree: float, avec_wrk: bool) -> tuple[float, float, float, int]:
    """(requests/s, p50 ms, p99 ms, errors) measured from another process."""
    if avec_wrk:
        return _wrk(url, cle, corps, connexions, duree)
    r = subprocess.run([sys.executable, __file__, "--client", url, cle, str(corps), str(connexions), str(duree)],
                       capture_output=True, text=True, timeout=duree + 120, check=True)
    d = json.loads(r.stdout.strip().splitlines()[-1])
    return d["n"] / d["secondes"], d["p50"], d["p99"], d["erreurs"]


def verification_cle(base: str, cle: str, n: int = 2000) -> float:
    """Microseconds per API key check as the service does it at every request (database read, thread hop)."""
    from orientation.service.authentification import Authentificateur
    from orientation.stockage.moteur import creer_moteur

    moteur = creer_moteur(base)
    auth = Authentificateur(moteur)

    async def boucle() -> float:
        assert await auth.verifier(cle) is not None
        debut = time.perf_counter()
        for _ in range(n):
            await auth.verifier(cle)
        return (time.perf_counter() - debut) / n * 1e6

    try:
        return asyncio.run(boucle())
    finally:
        moteur.dispose()


# --------------------------------------------------------------------------- run


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        url, cle, corps, connexions, duree = sys.argv[2:7]
        print(json.dumps(asyncio.run(_client_async(url, cle, Path(corps).read_bytes(), int(connexions),
                                                   float(duree)))))
        return
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processus", type=int, default=2)
    p.add_argument("--connexions", type=int, default=8)
    p.add_argument("--duree", type=float, default=10.0)
    p.add_argument("--lot", type=int, default=1000)
    p.add_argument("--sans-wrk", action="store_true", help="client asyncio (httpx) même si wrk est installé")
    args = p.parse_args()
    avec_wrk = shutil.which("wrk") is not None and not args.sans_wrk
    print(f"Machine : {os.cpu_count()} cœur(s) (partagée : les chiffres dépendent de la charge du moment) ; "
          f"client : {'wrk' if avec_wrk else 'asyncio (httpx)'}, processus séparé.")
    print(f"1. recommend() en mémoire (référence, même moment) : {_fr(referentiel_en_memoire(3.0))} dossiers/s")

    with tempfile.TemporaryDirectory() as tmp:
        dossier = Path(tmp)
        base = f"sqlite:///{dossier / 'bench.sqlite3'}"
        subprocess.run([str(ORIENTATION), "base", "migrer", "--base", base], check=True, capture_output=True)
        cle = subprocess.run([str(ORIENTATION), "cles", "creer", "--nom", "bench", "--departement", "93", "--base",
                              base], check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        journal = open(dossier / "serveur.log", "wb")
        serveur = subprocess.Popen([str(ORIENTATION), "servir", "--port", str(port), "--base", base, "--modele", "demo",
                                    "--processus", str(args.processus), "--dossier-lots", str(dossier / "lots")],
                                   stdout=journal, stderr=subprocess.STDOUT, cwd=dossier)
        try:
            import httpx

            url = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if httpx.get(f"{url}/pret", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            un = dossier / "un.json"
            un.write_bytes(json.dumps(_lot(1)[0]).encode())
            lot = dossier / "lot.json"
            lot.write_bytes(json.dumps(_lot(args.lot)).encode())
            verif = httpx.post(f"{url}/v1/recommandations", content=lot.read_bytes(), timeout=60,
                               headers={"Authorization": f"Bearer {cle}"}).json()
            assert verif["decides"] + verif["rejetes"] == args.lot, verif
            charge(f"{url}/v1/recommandations", cle, un, args.connexions, 2, avec_wrk)  # warm-up
            debit, p50, p99, erreurs = charge(f"{url}/v1/recommandations", cle, un, args.connexions, args.duree,
                                              avec_wrk)
            print(f"2. un dossier par requête ({args.processus} processus, {args.connexions} connexions, "
                  f"{_fr(args.duree)} s) : {_fr(debit)} requêtes/s, p50 {_fr(p50, 1)} ms, p99 {_fr(p99, 1)} ms"
                  f"{f', {erreurs} erreur(s)' if erreurs else ''} (objectif : 800 requêtes/s, p99 ≤ 25 ms)")
            connexions_lot = max(2, args.processus * 2)
            debit, p50, p99, erreurs = charge(f"{url}/v1/recommandations", cle, lot, connexions_lot, args.duree,
                                              avec_wrk)
            print(f"3. lots de {_fr(args.lot)} dossiers par requête ({connexions_lot} connexions) : "
                  f"{_fr(debit * args.lot)} dossiers/s ({_fr(debit, 1)} requêtes/s, p50 {_fr(p50)} ms)"
                  f"{f', {erreurs} erreur(s)' if erreurs else ''} (objectif : 30 000 dossiers/s)")
            taille = statistics.mean([lot.stat().st_size / args.lot])
            print(f"   (corps : {_fr(taille)} octets par dossier en codes CNAF)")
        finally:
            serveur.terminate()
            serveur.wait(30)
            journal.close()
        print(f"4. vérification d'une clé d'API, relue dans la base à chaque requête (révocation immédiate ; "
              f"SQLite, en mémoire, serveur arrêté) : {_fr(verification_cle(base, cle), 0)} µs par requête")


if __name__ == "__main__":
    main()
