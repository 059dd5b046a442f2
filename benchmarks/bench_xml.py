"""Benchmark of the CAF XML flux (``orientation lot flux.xml``) on SYNTHETIC dossiers, at two sizes.

Writes N synthetic dossiers (:func:`orientation.modele.synthetique.generer_table`) as a CAF XML
flux (:func:`orientation.dossier.cnaf_xml.enregistrement_xml`, one ``InfoDemandeRSA`` each, with a
pre-routing), then, each in a fresh process so that its peak memory (``ru_maxrss``) is its own:

* reading only, in one process: ``lecture``, the package's one XML reader
  (:class:`orientation.dossier.cnaf_xml.LecteurXML`, lxml's pull parser) with the rows of each record;
* the whole bulk run (:func:`orientation.flux.lot.traiter_fichier`, rules only, no explanations,
  default workers: a dedicated reader process parses, workers decide, the parent writes);
* with ``--avant SRC`` the same two with the code of another source tree (e.g. main's ``src``, from
  ``git archive main src rules models | tar -x -C /tmp/avant``): ``lecture-avant`` (that tree's fastest reader: its
  byte ranges read with lxml when it has them, else its ``LecteurXML``) and ``lot-avant``; several trees may be
  given, each as ``NOM=SRC`` (``lecture-NOM``, ``lot-NOM``), all measured on the same files in the same run.

Prints rows/s, CPU seconds (all processes) and the peak memory of each; memory must not grow
with the size (the file is streamed).  The load average is printed too (a shared machine skews
the figures: compare rows per CPU second).

    python benchmarks/bench_xml.py                      # 20,000 and 200,000 dossiers
    python benchmarks/bench_xml.py --tailles 20000 100000 --avant /tmp/avant/src
    python benchmarks/bench_xml.py --tailles 20000 100000 --avant plusieurs=/tmp/a/src un=/tmp/b/src
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _fr(x: float, decimales: int = 0) -> str:
    return f"{x:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")


def ecrire(n: int, chemin: Path) -> None:
    from orientation.dossier.cnaf_xml import ecrire_xml, enregistrement_xml
    from orientation.dossier.tabulaire import ligne_vers_enregistrement
    from orientation.modele.synthetique import COLONNE_PARCOURS, generer_table

    codes = ("PP", "AS", "PS")
    with chemin.open("w", encoding="utf-8") as f:
        def textes():  # by slices: the generator's table for 200,000 rows stays small, the XML is streamed out
            fait = 0
            while fait < n:
                k = min(50_000, n - fait)
                t = generer_table(k, graine=fait + 1, departement="93").drop_columns([COLONNE_PARCOURS])
                for i, ligne in enumerate(t.to_pylist()):
                    rec = ligne_vers_enregistrement({c: v for c, v in ligne.items() if c != "departement"})
                    rec["identifiant"] = f"SYN-XML-{fait + i}"
                    rec["natparcocal"] = codes[(fait + i) % 3]
                    yield enregistrement_xml(rec)
                fait += k
        f.writelines(ecrire_xml(textes()))


def _pic_kib() -> int:
    """Peak RSS of this process since its exec (VmHWM; ``ru_maxrss`` keeps the parent's peak across exec)."""
    try:
        for ligne in Path("/proc/self/status").read_text().splitlines():
            if ligne.startswith("VmHWM:"):
                return int(ligne.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _mesure(mode: str, chemin: str) -> None:
    """Child process: run one measurement, print 'rows seconds peak_kib' (largest of itself and its workers)."""
    debut = time.perf_counter()
    if mode == "lecture":
        from orientation.dossier.cnaf_xml import LecteurXML, lignes

        n = 0
        try:  # a tree of earlier sessions: its byte ranges read with lxml
            from orientation.dossier.cnaf_xml_blocs import Decoupeur, lire_plage  # type: ignore[import-not-found]
        except ImportError:
            with open(chemin, "rb") as f:
                for rec in LecteurXML(f, chemin, 1 << 20):
                    n += len(lignes(rec)[0])
        else:
            with open(chemin, "rb") as f, open(chemin, "rb") as g:
                for plage in Decoupeur(f, chemin, 10_000):
                    g.seek(plage.debut)
                    for rec in lire_plage(g.read(plage.fin - plage.debut), plage):
                        n += len(lignes(rec)[0])
    else:
        from orientation.flux.lot import traiter_fichier

        with tempfile.TemporaryDirectory() as d:
            r = traiter_fichier(Path(chemin), "93", Path(d) / "d.csv", modele=False, progression=False)
            n = r.lignes
    duree = time.perf_counter() - debut
    moi, eux = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = moi.ru_utime + moi.ru_stime + eux.ru_utime + eux.ru_stime
    print(n, duree, max(_pic_kib(), eux.ru_maxrss), cpu)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--mesure":
        _mesure(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "--ecrire":
        ecrire(int(sys.argv[2]), Path(sys.argv[3]))
        return
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tailles", type=int, nargs=2, default=[20_000, 200_000])
    p.add_argument("--avant", nargs="+", default=[],
                   help="dossier src d'une autre version (mesure lot-avant), ou plusieurs, chacun NOM=SRC")
    args = p.parse_args()
    modes: list[tuple[str, str | None]] = []
    for avant in args.avant:
        nom, _, src = avant.rpartition("=")
        modes += [(f"lecture-{nom or 'avant'}", src), (f"lot-{nom or 'avant'}", src)]
    modes += [("lecture", None), ("lot", None)]
    print(f"Charge de la machine : {', '.join(_fr(x, 2) for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as d:
        for n in args.tailles:
            chemin = Path(d) / f"flux_{n}.xml"
            # written by another process: this one stays small, so the measured children do not inherit its peak
            subprocess.run([sys.executable, __file__, "--ecrire", str(n), str(chemin)], check=True)
            taille = chemin.stat().st_size / 2**20
            for mode, src in modes:
                env = dict(os.environ, PYTHONPATH=os.path.abspath(src)) if src else None
                sortie = subprocess.run([sys.executable, __file__, "--mesure", mode.split("-")[0],
                                         str(chemin)], check=True, capture_output=True, text=True, env=env).stdout.split()
                lignes, duree, pic, cpu = int(sortie[0]), float(sortie[1]), int(sortie[2]) / 1024, float(sortie[3])
                print(f"{_fr(n)} dossiers ({_fr(taille, 1)} Mio de XML), {mode:16s}: {_fr(lignes / duree)} lignes/s, "
                      f"{_fr(cpu, 1)} s de CPU ({_fr(lignes / cpu)} lignes par seconde de CPU), "
                      f"pic mémoire {_fr(pic)} Mio (processus le plus gros)", flush=True)
            chemin.unlink()


if __name__ == "__main__":
    main()
