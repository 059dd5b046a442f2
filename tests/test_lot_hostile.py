"""Hostile flux files: every record ends decided or rejected, counted once; fuzzed CSV, JSON Lines, Parquet.

Fuzz targets run 500 examples in the default and 'ci' profiles, 10,000 in 'exploration'
(``HYPOTHESIS_PROFILE=exploration``); each example is a small file decided in this process.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orientation.cli import main
from orientation.dossier.cnaf import CLES
from orientation.flux import lot
from orientation.flux.decisions import Contexte
from orientation.flux.lecture import FluxInvalide
from orientation.modele.synthetique import generer_table
from orientation.regles.referentiel import Referentiel

from .strategies import EXEMPLES_FUZZ

FUZZ = settings(max_examples=EXEMPLES_FUZZ, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large])
CTX = Contexte("93", Referentiel.charger("93"), None, False)  # rules only: fast, same reading and counting
ENTETE = list(CLES)


def _valides(n: int, graine: int = 4) -> list[dict[str, str]]:
    t = generer_table(n, graine=graine, departement="93").drop_columns(["parcours_referent"])
    return [{k: ("" if v is None else v) for k, v in r.items()} for r in t.to_pylist()]


VALIDES = _valides(8)


def _traiter(chemin: Path, dossier: Path, **options: Any) -> lot.Rapport:
    return lot.traiter_fichier(chemin, "93", dossier / "d.csv", progression=False, processus=1, contexte=CTX,
                               ecraser=True, **options)


def _sorties(dossier: Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    with (dossier / "d.csv").open(encoding="utf-8", newline="") as f:
        decisions = list(csv.DictReader(f))
    with (dossier / "d.rejets.csv").open(encoding="utf-8", newline="") as f:
        rejets = list(csv.DictReader(f))  # a standard reader: RFC 4180 whatever the values
    return decisions, rejets


def _bilan(r: lot.Rapport, dossier: Path) -> tuple[set[int], set[int]]:
    """Decided and rejected record numbers, checked against the summary (each record counted once)."""
    decisions, rejets = _sorties(dossier)
    decidees = [int(x["ligne"]) for x in decisions]
    rejetees = {int(x["ligne"]) for x in rejets}
    assert len(set(decidees)) == len(decidees) and not set(decidees) & rejetees
    assert (r.decides, r.rejetes, r.lignes) == (len(decidees), len(rejetees), len(decidees) + len(rejetees))
    m = json.loads((dossier / "d.manifeste.json").read_text(encoding="utf-8"))
    assert (m["etat"], m["decidees"], m["rejetees"]) == ("complet", r.decides, r.rejetes)
    return set(decidees), rejetees


# --------------------------------------------------------------------------- targeted cases


def test_jsonl_hostile(tmp_path: Path) -> None:
    """Invalid UTF-8, integers of thousands of digits, nesting 1,000 deep: one rejected line each, run goes on."""
    lignes = [json.dumps(VALIDES[0]).encode(),
              json.dumps(VALIDES[1]).encode()[:-2] + b'\xff\xfe"}',  # invalid UTF-8
              b'{"identifiant": "A", "annobtnivdipmax": ' + b"9" * 5000 + b"}",  # too long for int()
              b'{"identifiant": "B", "difsoc": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # too deep for json
              json.dumps(dict(VALIDES[2], difsoc=[[[["0402"]]]] * 3)).encode(),  # nested but parseable
              json.dumps(dict(VALIDES[3], annobtnivdipmax=int("9" * 4000))).encode(),  # long but parseable
              json.dumps(VALIDES[4]).encode()]
    chemin = tmp_path / "f.jsonl"
    chemin.write_bytes(b"\n".join(lignes) + b"\n")
    r = _traiter(chemin, tmp_path)
    decidees, rejetees = _bilan(r, tmp_path)
    assert decidees == {1, 7} and rejetees == {2, 3, 4, 5, 6}
    raisons = " ".join(x["raison"] for x in _sorties(tmp_path)[1])
    assert "--encodage" in raisons and "4 300 chiffres" in raisons and "imbriquée" in raisons
    assert "Expecting" not in raisons


def test_csv_nombres_immenses(tmp_path: Path) -> None:
    """Cells of 5,000 digits (Python's int() refuses them): those rows are rejected, the run goes on."""
    chemin = tmp_path / "f.csv"
    lignes = [dict(v) for v in VALIDES[:5]]
    for x, k in zip(lignes, ("annobtnivdipmax", "agesenfants", "dtnai")):
        x[k] = "9" * 5000
    with chemin.open("w", encoding="utf-8") as f:
        f.write(",".join(ENTETE) + "\n" + "".join(",".join(x[k] for k in ENTETE) + "\n" for x in lignes))
    r = _traiter(chemin, tmp_path)
    decidees, rejetees = _bilan(r, tmp_path)
    assert decidees == {5, 6} and rejetees == {2, 3, 4}
    assert {x["champ"] for x in _sorties(tmp_path)[1]} >= {"annobtnivdipmax", "agesenfants"}


def test_windows_1252(tmp_path: Path) -> None:
    """A Windows-1252 export: accents rejected in UTF-8 with advice, all read with --encodage windows-1252."""
    lignes = [dict(v) for v in VALIDES[:6]]  # accents in a column outside the CNAF format
    chemin = tmp_path / "f.csv"
    with chemin.open("w", encoding="cp1252", newline="") as f:
        f.write(",".join(ENTETE + ["commune"]) + "\n")
        for i, x in enumerate(lignes):
            f.write(",".join([x[k] for k in ENTETE] + ["Saint-Étienne" if i % 2 == 0 else "Bobigny"]) + "\n")
    r = _traiter(chemin, tmp_path / "utf8")
    assert (r.decides, r.rejetes) == (3, 3)
    assert all("--encodage windows-1252" in x["raison"] for x in _sorties(tmp_path / "utf8")[1])
    r = _traiter(chemin, tmp_path / "cp1252", encodage="windows-1252")
    assert (r.decides, r.rejetes) == (6, 0)
    m = json.loads((tmp_path / "cp1252" / "d.manifeste.json").read_text(encoding="utf-8"))
    assert m["flux"]["encodage"] == "cp1252"
    r = _traiter(chemin, tmp_path / "latin1", encodage="latin-1")
    assert (r.decides, r.rejetes) == (6, 0)
    with pytest.raises(FluxInvalide, match="non pris en charge"):
        _traiter(chemin, tmp_path / "x", encodage="ebcdic")
    # a header that is not UTF-8: refused with the advice
    entete = tmp_path / "e.csv"
    entete.write_bytes(",".join(ENTETE + ["Région"]).encode("cp1252") + b"\n")
    with pytest.raises(FluxInvalide, match="--encodage windows-1252"):
        _traiter(entete, tmp_path / "y")


def test_csv_cr_nu_et_enregistrements_multilignes(tmp_path: Path) -> None:
    """A bare CR in an unquoted cell is one record (it used to refuse the whole file mid-run); quoted
    records spanning lines are one record, numbered by their first line; a stray quote swallows nothing."""
    rangs = [[x[k] for k in ENTETE] for x in _valides(40, graine=9)]
    i_nat, i_id = ENTETE.index("natlog"), ENTETE.index("identifiant")
    lignes = [",".join(ENTETE)]
    for j, rangee in enumerate(rangs):
        if j == 3:  # bare CR inside an unquoted cell
            rangee = list(rangee)
            rangee[i_nat] = rangee[i_nat][:2] + "\r" + rangee[i_nat][2:]
        if j == 5:  # a stray quote that never closes
            rangee = list(rangee)
            rangee[i_nat] = '"' + rangee[i_nat]
        if j in (7, 20):  # a quoted record spanning three lines (valid cells)
            lignes.append(",".join(f'"{c}"' if k != i_id else f'"{c}\n\n"' for k, c in enumerate(rangee)))
            continue
        lignes.append(",".join(rangee))
    chemin = tmp_path / "f.csv"
    chemin.write_bytes(("\n".join(lignes) + "\n").encode())
    resultats = {}
    for taille in (1, 2, 7, 1000):
        dossier = tmp_path / f"t{taille}"
        r = lot.traiter_fichier(chemin, "93", dossier / "d.csv", progression=False, processus=1, contexte=CTX,
                                taille_bloc=taille)
        decidees, rejetees = _bilan(r, dossier)
        assert r.lignes == 40
        # physical lines: header 1, records from 2; records 7 and 20 take 3 lines each
        assert {2 + 3, 2 + 5} <= rejetees  # a code with a CR is not a code; the stray quote
        assert 2 + 6 in decidees and 2 + 8 + 2 in decidees  # the lines around are not swallowed
        assert 2 + 7 in decidees | rejetees and 2 + 20 + 2 in decidees | rejetees
        assert 2 + 21 + 4 in decidees and max(decidees | rejetees) == 2 + 39 + 4
        resultats[taille] = (decidees, rejetees)
    assert all(v == resultats[1000] for v in resultats.values())


def test_parquet_dates_doublons_utf8(tmp_path: Path) -> None:
    valides = VALIDES[:6]
    table = {k: [x[k] or None for x in valides] for k in ENTETE}
    dates = {k: [None if v is None else dt.date.fromisoformat(v) for v in table[k]]
             for k in ("dtdemrsa", "dtouvdroit", "dtnotifdroit", "dtnai")}
    # pandas' default: timestamps (ns), some with a time of day
    t = dict(table)
    for k, v in dates.items():
        t[k] = pa.array([None if d is None else dt.datetime(d.year, d.month, d.day, 13, 30) for d in v],
                        pa.timestamp("ns"))
    pq.write_table(pa.table(t), tmp_path / "ts.parquet")
    r = _traiter(tmp_path / "ts.parquet", tmp_path / "ts")
    assert (r.decides, r.rejetes) == (6, 0)
    d = dict(table)
    d.update({k: pa.array(v, pa.date32()) for k, v in dates.items()})
    pq.write_table(pa.table(d), tmp_path / "d.parquet")
    r2 = _traiter(tmp_path / "d.parquet", tmp_path / "d")
    assert (r2.decides, r2.rejetes) == (6, 0)
    assert [x["date_reference"] for x in _sorties(tmp_path / "ts")[0]] == \
        [x["date_reference"] for x in _sorties(tmp_path / "d")[0]]
    # invalid UTF-8 in a string column: that row is rejected, naming the field
    t3 = dict(table)
    nat = [(v or "").encode() for v in table["natlog"]]
    nat[2] = b"\xff\xfe"
    t3["natlog"] = pa.array(nat, pa.binary()).view(pa.string())
    pq.write_table(pa.table(t3), tmp_path / "u.parquet")
    r3 = _traiter(tmp_path / "u.parquet", tmp_path / "u")
    assert (r3.decides, r3.rejetes) == (5, 1)
    rejet = _sorties(tmp_path / "u")[1][0]
    assert (rejet["ligne"], rejet["champ"]) == ("3", "natlog") and "UTF-8" in rejet["raison"]
    # a duplicated column: refused as a whole, in French
    dup = pa.Table.from_arrays([pa.array(table[k]) for k in ENTETE] + [pa.array(table["natlog"])],
                               names=ENTETE + ["natlog"])
    pq.write_table(dup, tmp_path / "dup.parquet")
    with pytest.raises(FluxInvalide, match="en double"):
        _traiter(tmp_path / "dup.parquet", tmp_path / "dup")
    assert main(["lot", str(tmp_path / "dup.parquet"), "--departement", "93", "--sortie",
                 str(tmp_path / "z.csv"), "--silencieux"]) == 2


# --------------------------------------------------------------------------- fuzz: rows in = decided + rejected

_BRUITS = st.sampled_from(["\r", "\n", "\r\n", '"', ",", ";", "\x00", "é", "\ufeff", " ", "|", "-", "9" * 50, "9" * 4400, "{"])
_OCTETS_HOSTILES = st.sampled_from([b"\xff", b"\xc3", b"\xe9", b"\x00", b"\r", b'"', b",", b"\xef\xbb\xbf"])


@st.composite
def _enregistrements_csv(draw: Any) -> tuple[bytes, int]:
    """A CSV file and its exact number of records: valid rows, quoted records with any text, garbage lines."""
    morceaux = [",".join(ENTETE).encode()]
    n = 0
    for _ in range(draw(st.integers(1, 6))):
        base = [VALIDES[draw(st.integers(0, len(VALIDES) - 1))][k] for k in ENTETE]
        genre = draw(st.sampled_from(["valide", "citee", "brute", "guillemet"]))
        if genre == "citee":  # RFC 4180 record, any text in some cells (line breaks, quotes, NUL...)
            for _ in range(draw(st.integers(1, 3))):
                k = draw(st.integers(1, len(ENTETE) - 1))  # the identifier stays a plain, non-empty value
                base[k] = "".join(draw(st.lists(_BRUITS, max_size=4))) + base[k]
            morceaux.append(",".join('"' + c.replace('"', '""') + '"' for c in base).encode())
        elif genre == "brute":  # one physical line of hostile bytes, no quote, no line feed
            ligne = bytearray(",".join(base).encode())
            for _ in range(draw(st.integers(1, 4))):
                pos = draw(st.integers(0, len(ligne)))
                octet = draw(_OCTETS_HOSTILES.filter(lambda b: b not in (b'"', b"\xef\xbb\xbf")))
                ligne[pos:pos] = octet
            morceaux.append(bytes(ligne).rstrip(b"\r"))
        elif genre == "guillemet":  # a stray quote inside an unquoted cell
            ligne = ",".join(base)
            # not at a cell's start: there a quote opens a quoted cell (RFC 4180), which two such lines
            # could close into one valid record spanning both
            pos = draw(st.integers(1, len(ligne) - 1).filter(lambda i: ligne[i - 1] != ","))
            morceaux.append((ligne[:pos] + '"' + ligne[pos:]).encode())
        else:
            morceaux.append(",".join(base).encode())
        n += 1
    fin = draw(st.sampled_from([b"\n", b"\r\n"]))
    return fin.join(morceaux) + draw(st.sampled_from([fin, b""])), n


@FUZZ
@given(_enregistrements_csv(), st.sampled_from([1, 2, 1000]))
def test_fuzz_csv(tmp_path_factory: pytest.TempPathFactory, cas: tuple[bytes, int], taille: int) -> None:
    contenu, n = cas
    dossier = tmp_path_factory.mktemp("fz")
    chemin = dossier / "f.csv"
    chemin.write_bytes(contenu)
    r = lot.traiter_fichier(chemin, "93", dossier / "d.csv", progression=False, processus=1, contexte=CTX,
                            taille_bloc=taille)
    decidees, rejetees = _bilan(r, dossier)
    assert r.lignes == n


@FUZZ
@given(st.lists(st.one_of(
    st.builds(lambda i: json.dumps(VALIDES[i]).encode(), st.integers(0, 7)),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b and b.strip() != b""),
    st.builds(lambda i, cle, v: json.dumps(dict(VALIDES[i], **{cle: v})).encode(), st.integers(0, 7),
              st.sampled_from(ENTETE), st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5)
                                                    | st.floats(), lambda e: st.lists(e, max_size=3)
                                                    | st.dictionaries(st.text(max_size=3), e, max_size=2),
                                                    max_leaves=8)),
), min_size=1, max_size=6))
def test_fuzz_jsonl(tmp_path_factory: pytest.TempPathFactory, lignes: list[bytes]) -> None:
    dossier = tmp_path_factory.mktemp("fz")
    chemin = dossier / "f.jsonl"
    chemin.write_bytes(b"\n".join(lignes) + b"\n")
    try:
        r = lot.traiter_fichier(chemin, "93", dossier / "d.csv", progression=False, processus=1, contexte=CTX)
    except FluxInvalide:  # no line is a JSON object with the required keys: refused as a whole
        assert not any(b'"dtdemrsa"' in x for x in lignes)
        return
    _bilan(r, dossier)
    # a byte-order mark opens the file, it is not data: a first line made of it alone is a blank line
    attendues = len(lignes) - (lignes[0].startswith(b"\xef\xbb\xbf") and not lignes[0][3:].strip())
    assert r.lignes == attendues


_CELLULES = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["", "0402", "2025-01-01", "93", "PAR"]))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 7), st.dictionaries(st.sampled_from(ENTETE), _CELLULES, max_size=4),
                          st.booleans()), min_size=1, max_size=6))
def test_fuzz_parquet(tmp_path_factory: pytest.TempPathFactory,
                      rangs: list[tuple[int, dict[str, Any], bool]]) -> None:
    dossier = tmp_path_factory.mktemp("fz")
    colonnes: dict[str, list[Any]] = {k: [] for k in ENTETE}
    for i, modifs, utf8_invalide in rangs:
        for k in ENTETE:
            v = modifs.get(k, VALIDES[i][k])
            colonnes[k].append(None if v is None else v.encode() + (b"\xff" if utf8_invalide and k == "natlog"
                                                                      else b""))
    table = pa.table({k: pa.array(v, pa.binary()).view(pa.string()) for k, v in colonnes.items()})
    pq.write_table(table, dossier / "f.parquet", row_group_size=2)
    r = lot.traiter_fichier(dossier / "f.parquet", "93", dossier / "d.csv", progression=False, processus=1,
                            contexte=CTX, taille_bloc=2)
    _bilan(r, dossier)
    assert r.lignes == len(rangs)
