"""The service's database: migrations shipped in the package, API keys stored hashed, commands (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given, settings, strategies as st
from sqlalchemy import inspect, text

from orientation.stockage import cles
from orientation.stockage.migrations import etat, migrer, revision_la_plus_recente, verifier_a_jour
from orientation.stockage.moteur import BaseInvalide, creer_moteur, fabrique_sessions
from orientation.stockage.tables import METADONNEES
from tests.serveur import commande


def test_migrer_amene_a_la_derniere_revision_et_aux_tables_declarees(url_base: str) -> None:
    moteur = creer_moteur(url_base)
    assert etat(moteur).actuelle is None
    with pytest.raises(BaseInvalide, match="orientation base migrer"):
        verifier_a_jour(moteur)
    assert migrer(moteur).actuelle == revision_la_plus_recente()
    verifier_a_jour(moteur)
    assert migrer(moteur).a_jour  # idempotent
    with moteur.connect() as c:
        differences = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), METADONNEES)
    assert differences == [], differences  # the revisions create exactly the tables the code declares
    assert "cles_api" in inspect(moteur).get_table_names()
    moteur.dispose()


def test_migrations_reversibles(url_base: str) -> None:
    moteur = creer_moteur(url_base)
    migrer(moteur)
    from alembic import command

    from orientation.stockage.migrations import configuration

    cfg = configuration()
    with moteur.begin() as c:
        cfg.attributes["connexion"] = c
        command.downgrade(cfg, "base")
    assert not {"cles_api", "lots"} & set(inspect(moteur).get_table_names())
    assert migrer(moteur).a_jour
    moteur.dispose()


def test_sqlite_wal_et_cles_etrangeres(url_sqlite: str) -> None:
    moteur = creer_moteur(url_sqlite)
    with moteur.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA foreign_keys")).scalar() == 1
    moteur.dispose()


def test_adresse_invalide_refusee_en_francais() -> None:
    with pytest.raises(BaseInvalide, match="adresse de base de données invalide"):
        creer_moteur("pas une adresse")


def test_cles_stockees_hachees_verifiees_revoquees(base_migree: str) -> None:
    moteur = creer_moteur(base_migree)
    sessions = fabrique_sessions(moteur)
    with sessions() as s:
        ligne, cle = cles.creer_cle(s, "webrsa", ["93", "58", "93"])
        assert ligne.departements == ["58", "93"]
        autre_ligne, autre = cles.creer_cle(s, "webrsa", ["93"])
        assert cle != autre and ligne.prefixe != autre_ligne.prefixe
    with moteur.connect() as c:
        contenu = " ".join(str(v) for ligne_brute in c.execute(text("SELECT * FROM cles_api")) for v in ligne_brute)
    secret = cle.split("_", 2)[2]  # the secret may itself hold "_" (URL-safe base64)
    assert len(secret) == 43 and secret not in contenu and cle not in contenu  # only the digest is stored
    with sessions() as s:
        v = cles.verifier_cle(s, cle)
        assert v is not None and v.nom == "webrsa" and v.departements == {"58", "93"}
        assert v.autorise("58") and not v.autorise("75")
        faux = cle[:-1] + ("A" if cle[-1] != "A" else "B")  # right prefix, wrong secret
        assert cles.verifier_cle(s, faux) is None
        assert cles.revoquer_cle(s, ligne.prefixe).revoquee_le is not None
        assert cles.verifier_cle(s, cle) is None
        assert cles.verifier_cle(s, autre) is not None
        with pytest.raises(cles.CleInvalide, match="déjà révoquée"):
            cles.revoquer_cle(s, cle)
        with pytest.raises(cles.CleInvalide, match="aucune clé"):
            cles.revoquer_cle(s, "inconnu")
        assert [c.nom for c in cles.lister_cles(s)] == ["webrsa", "webrsa"]
    moteur.dispose()


@pytest.mark.parametrize(("nom", "departements", "motif"), [
    ("webrsa", [], "au moins un département"), ("webrsa", ["99"], "département inconnu « 99 »"),
    ("", ["93"], "nom de clé"), ("nom avec espaces", ["93"], "nom de clé"), ("x" * 65, ["93"], "nom de clé")])
def test_creation_refusee_en_francais(url_sqlite: str, nom: str, departements: list[str], motif: str) -> None:
    moteur = creer_moteur(url_sqlite)
    migrer(moteur)
    with fabrique_sessions(moteur)() as s, pytest.raises(cles.CleInvalide, match=motif):
        cles.creer_cle(s, nom, departements)
    moteur.dispose()


@pytest.fixture(scope="module")
def sessions_memoire() -> object:
    moteur = creer_moteur("sqlite://")
    migrer(moteur)
    sessions = fabrique_sessions(moteur)
    with sessions() as s:
        cles.creer_cle(s, "webrsa", ["93"])
    return sessions


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.text(max_size=120), st.from_regex(r"orn_[A-Za-z0-9]{10}_[A-Za-z0-9_-]{43}", fullmatch=True)))
def test_une_cle_quelconque_est_refusee_sans_erreur(sessions_memoire: object, essai: str) -> None:
    with sessions_memoire() as s:  # type: ignore[operator]
        assert cles.verifier_cle(s, essai) is None


def test_commandes_cles_et_base(url_sqlite: str) -> None:
    r = commande("cles", "creer", "--nom", "webrsa", "--departement", "93", "--base", url_sqlite)
    assert r.returncode == 2 and "orientation base migrer" in r.stderr and "Traceback" not in r.stderr
    r = commande("base", "migrer", "--base", url_sqlite)
    assert r.returncode == 0 and revision_la_plus_recente() in r.stdout
    r = commande("cles", "creer", "--nom", "webrsa", "--departement", "93", "--departement", "58", "--base", url_sqlite)
    assert r.returncode == 0, r.stderr
    cle = r.stdout.strip().splitlines()[-1]
    assert cle.startswith("orn_") and r.stdout.count(cle) == 1
    liste = commande("cles", "lister", "--base", url_sqlite)
    assert liste.returncode == 0 and cle.split("_")[1] in liste.stdout and cle not in liste.stdout
    assert "58,93" in liste.stdout and "active" in liste.stdout
    r = commande("cles", "revoquer", cle.split("_")[1], "--base", url_sqlite)
    assert r.returncode == 0 and "révoquée : refusée dès la requête suivante" in r.stdout
    assert "révoquée le" in commande("cles", "lister", "--base", url_sqlite).stdout
    r = commande("cles", "creer", "--nom", "x", "--departement", "99", "--base", url_sqlite)
    assert r.returncode == 2 and "département inconnu « 99 »" in r.stderr
    r = commande("base", "migrer", "--base", "postgresql+psycopg://personne:secret@127.0.0.1:1/rien")
    assert r.returncode == 2 and "secret" not in r.stderr and "serveur injoignable" in r.stderr, r.stderr
