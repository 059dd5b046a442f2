"""French reasons for every pydantic validation error type.

:data:`RAISONS` has a French text for each error type of pydantic-core (the ``ErrorType``
literal; a test checks that none is missing, so a new pydantic version cannot let an English
message through).  Placeholders ``{...}`` are filled from the error's context; an unknown
type or placeholder falls back to « valeur refusée ».

>>> traduire({"type": "greater_than_equal", "loc": ("x",), "ctx": {"ge": 1900}})
'hors limites (minimum 1900)'
>>> traduire({"type": "finite_number", "loc": ("x",)})
'nombre fini attendu (ni infini ni NaN)'
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from orientation.dossier import codes
from orientation.erreurs import ErreurChamp, apercu

#: Prefix of the ValueError raised by a model validator carrying several structured errors (JSON list).
MARQUE_ERREURS = "@@erreurs@@"

RAISONS: dict[str, str] = {
    # structure
    "missing": "champ obligatoire manquant",
    "extra_forbidden": "champ inconnu",
    "no_such_attribute": "champ inconnu",
    "invalid_key": "clé invalide (texte attendu)",
    "get_attribute_error": "valeur illisible",
    "model_type": "objet attendu",
    "model_attributes_type": "objet attendu",
    "dataclass_type": "objet attendu",
    "dataclass_exact_type": "objet attendu",
    "named_tuple_type": "liste de valeurs attendue",
    "dict_type": "objet attendu",
    "frozen_dict_type": "objet attendu",
    "ordered_dict_type": "objet attendu",
    "counter_type": "objet attendu",
    "mapping_type": "objet attendu",
    "list_type": "liste attendue",
    "tuple_type": "liste attendue",
    "deque_type": "liste attendue",
    "set_type": "liste attendue",
    "frozen_set_type": "liste attendue",
    "set_item_not_hashable": "élément de liste non comparable",
    "iterable_type": "liste attendue",
    "iteration_error": "liste illisible",
    "too_short": "trop peu d'éléments (au moins {min_length})",
    "too_long": "trop d'éléments (au plus {max_length})",
    "frozen_field": "champ non modifiable",
    "frozen_instance": "objet non modifiable",
    "default_factory_not_called": "valeur par défaut indisponible",
    "recursion_loop": "structure trop imbriquée ou circulaire",
    "recursion_depth_exceeded": "structure trop imbriquée",
    "json_invalid": "JSON mal formé",
    "json_type": "texte JSON attendu",
    "needs_python_object": "objet Python attendu",
    "none_required": "doit être vide (null)",
    "is_instance_of": "type de valeur inattendu",
    "is_subclass_of": "type de valeur inattendu",
    "callable_type": "fonction attendue",
    "literal_error": "valeur non admise (valeurs admises : {expected})",
    "enum": "code inconnu (valeurs admises : {expected})",
    "union_tag_invalid": "type d'objet inconnu",
    "union_tag_not_found": "type d'objet manquant",
    "missing_sentinel_error": "valeur manquante",
    "ellipsis_error": "valeur « ... » attendue",
    "value_error": "{error}",
    "assertion_error": "condition non vérifiée",
    # numbers
    "greater_than": "hors limites (doit dépasser {gt})",
    "greater_than_equal": "hors limites (minimum {ge})",
    "less_than": "hors limites (doit rester sous {lt})",
    "less_than_equal": "hors limites (maximum {le})",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "finite_number": "nombre fini attendu (ni infini ni NaN)",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_parsing_size": "nombre trop grand",
    "int_from_float": "nombre entier attendu (sans décimales)",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "decimal_type": "nombre décimal attendu",
    "decimal_parsing": "nombre décimal attendu",
    "decimal_max_digits": "trop de chiffres (au plus {max_digits})",
    "decimal_max_places": "trop de décimales (au plus {decimal_places})",
    "decimal_whole_digits": "trop de chiffres avant la virgule (au plus {whole_digits})",
    "fraction_type": "fraction attendue",
    "fraction_parsing": "fraction attendue",
    "complex_type": "nombre complexe attendu",
    "complex_str_parsing": "nombre complexe attendu",
    # booleans
    "bool_type": "booléen attendu (true/false ou 0/1)",
    "bool_parsing": "booléen attendu (true/false ou 0/1)",
    # text and bytes
    "string_type": "texte attendu",
    "string_unicode": "texte Unicode attendu",
    "string_too_short": "ne doit pas être vide",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "string_pattern_mismatch": "caractères non admis (lettres, chiffres, . _ - uniquement)",
    "string_not_ascii": "caractères non ASCII refusés",
    "bytes_type": "octets attendus",
    "bytes_too_short": "trop court (au moins {min_length} octets)",
    "bytes_too_long": "trop long (au plus {max_length} octets)",
    "bytes_invalid_encoding": "encodage invalide",
    # dates and times
    "date_type": "date impossible ou mal formée (attendu AAAA-MM-JJ)",
    "date_parsing": "date impossible ou mal formée (attendu AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date impossible ou mal formée (attendu AAAA-MM-JJ)",
    "date_from_datetime_inexact": "date sans heure attendue (AAAA-MM-JJ)",
    "date_past": "date passée attendue",
    "date_future": "date future attendue",
    "time_type": "heure attendue (HH:MM:SS)",
    "time_parsing": "heure attendue (HH:MM:SS)",
    "datetime_type": "date et heure attendues",
    "datetime_parsing": "date et heure attendues",
    "datetime_object_invalid": "date et heure impossibles",
    "datetime_from_date_parsing": "date et heure attendues",
    "datetime_past": "date passée attendue",
    "datetime_future": "date future attendue",
    "timezone_naive": "date et heure sans fuseau horaire attendues",
    "timezone_aware": "fuseau horaire attendu",
    "timezone_offset": "décalage horaire inattendu",
    "time_delta_type": "durée attendue",
    "time_delta_parsing": "durée attendue",
    # function arguments
    "arguments_type": "arguments attendus",
    "missing_argument": "argument manquant",
    "unexpected_keyword_argument": "argument inconnu",
    "missing_keyword_only_argument": "argument nommé manquant",
    "unexpected_positional_argument": "argument en trop",
    "missing_positional_only_argument": "argument manquant",
    "multiple_argument_values": "argument donné plusieurs fois",
    # other types
    "url_type": "adresse web attendue",
    "url_parsing": "adresse web mal formée",
    "url_syntax_violation": "adresse web mal formée",
    "url_too_long": "adresse web trop longue",
    "url_scheme": "protocole d'adresse web non admis",
    "uuid_type": "UUID attendu",
    "uuid_parsing": "UUID mal formé",
    "uuid_version": "version d'UUID inattendue",
}


def traduire(err: dict[str, Any]) -> str:
    """French reason for one pydantic error (``ValidationError.errors()`` item)."""
    t = err.get("type", "")
    ctx = {k: _texte_contexte(k, v) for k, v in (err.get("ctx") or {}).items()}
    if t == "extra_forbidden" and err.get("loc"):
        nom = str(err["loc"][-1])
        if nom in codes.PAR_CNAF:
            return f"champ inconnu (nom CNAF : utiliser « {codes.PAR_CNAF[nom].nom} » ou Dossier.depuis_cnaf)"
    try:
        return RAISONS[t].format_map(ctx)
    except (KeyError, ValueError, IndexError):
        return "valeur refusée"


def _texte_contexte(cle: str, v: Any) -> str:
    if cle == "expected":  # "'a', 'b' or 'c'"
        return str(v).replace(" or ", " ou ")
    if cle == "error":
        return str(v)  # our validators raise French messages
    return str(apercu(v))


def _valeur(donnees: Any, loc: tuple[Any, ...]) -> Any:
    cur = donnees
    for part in loc:
        try:
            cur = cur[part]
        except (KeyError, IndexError, TypeError):
            return "(absent)"
    return cur


def erreurs_depuis_pydantic(exc: ValidationError, donnees: Any) -> list[ErreurChamp]:
    """Translate pydantic errors into French :class:`ErreurChamp` items (field path, value received, reason).

    A ``value_error`` whose message starts with :data:`MARQUE_ERREURS` carries several
    structured errors (JSON ``[[champ, valeur, raison], ...]``) and gives one item each.
    """
    out: list[ErreurChamp] = []
    for err in exc.errors(include_url=False, include_input=False):
        msg = str((err.get("ctx") or {}).get("error", ""))
        if MARQUE_ERREURS in msg:
            for champ, valeur, raison in json.loads(msg.split(MARQUE_ERREURS, 1)[1]):
                out.append(ErreurChamp(champ, valeur, raison))
            continue
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        chemin = ".".join(str(p) for p in loc) or "(dossier)"
        out.append(ErreurChamp(chemin, _valeur(donnees, loc), traduire(err)))
    return out
