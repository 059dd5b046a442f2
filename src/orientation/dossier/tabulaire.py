"""Flat-file cells (CSV, Parquet, JSON Lines) <-> CNAF records.

Conventions for one row per person (documented in the README):

* columns are the CNAF keys of :mod:`orientation.dossier.cnaf` (``natlog``, ``difsoc``, ``dtnai``...);
* an empty cell means « non renseigné »;
* a multi-valued field (``difsoc``, ``difdisp``, ``agesenfants``, ``fragilites``...) holds its
  codes separated by ``|`` (``0402|0406``); the single character ``-`` means "answered, no code";
* in JSON Lines, lists may also be given as JSON arrays.

>>> ligne_vers_enregistrement({"natlog": "0912", "difsoc": "0402|0406", "diflog": "-", "topcouvsoc": ""})
{'natlog': '0912', 'difsoc': ['0402', '0406'], 'diflog': []}
>>> enregistrement_vers_ligne({'natlog': '0912', 'difsoc': ['0402', '0406'], 'diflog': []})["difsoc"]
'0402|0406'
"""

from __future__ import annotations

from typing import Any

from orientation.dossier import codes
from orientation.dossier.cnaf import CLES

SEPARATEUR = "|"
LISTE_VIDE = "-"

#: CNAF keys holding several values.
CLES_MULTIPLES: frozenset[str] = frozenset(
    [c.cnaf for c in codes.CHAMPS if c.multiple] + ["agesenfants", "fragilites"]
)
#: Keys holding integers.
CLES_ENTIERES: frozenset[str] = frozenset(c.cnaf for c in codes.CHAMPS if c.kind == "entier")


def _texte(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def ligne_vers_enregistrement(ligne: dict[str, Any]) -> dict[str, Any]:
    """Turn one row of a flat file into a CNAF record (unknown columns are kept, to be refused later)."""
    out: dict[str, Any] = {}
    for cle, v in ligne.items():
        if isinstance(v, (list, tuple)):
            out[cle] = list(v)
            continue
        if v is not None and not isinstance(v, str) and cle not in CLES_MULTIPLES:
            if isinstance(v, float) and v != v:  # NaN from pandas/pyarrow = empty cell
                continue
            if cle in CLES_ENTIERES or isinstance(v, bool):
                out[cle] = v
                continue
        s = _texte(v)
        if s == "" or s.lower() == "nan":
            continue
        if cle in CLES_MULTIPLES:
            if s == LISTE_VIDE:
                out[cle] = []
                continue
            items = [x.strip() for x in s.split(SEPARATEUR)]
            if cle == "agesenfants":
                out[cle] = [int(x) if x.isdigit() else x for x in items]
            else:
                out[cle] = items
        elif cle in CLES_ENTIERES:
            out[cle] = int(s) if s.isdigit() else s
        else:
            out[cle] = s
    return out


def enregistrement_vers_ligne(enregistrement: dict[str, Any]) -> dict[str, str]:
    """Turn a CNAF record into flat cells, with every known column present."""
    out: dict[str, str] = {}
    for cle in CLES:
        v = enregistrement.get(cle)
        if v is None:
            out[cle] = ""
        elif isinstance(v, list):
            out[cle] = SEPARATEUR.join(str(x) for x in v) if v else LISTE_VIDE
        else:
            out[cle] = str(v)
    return out
