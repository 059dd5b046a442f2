"""The declarative base of every table of the service's database, and UTC timestamps.

The naming convention gives every index and constraint a stable name, so that Alembic revisions
can name them on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

#: Names of indexes and constraints (SQLAlchemy's documented convention).
CONVENTION_NOMMAGE = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every table (typed ``Mapped[...]`` columns)."""

    metadata = MetaData(naming_convention=CONVENTION_NOMMAGE)


class HorodatageUTC(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite stores no time zone: it is put back on reading)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, valeur: datetime | None, dialect: object) -> datetime | None:
        if valeur is None:
            return None
        if valeur.tzinfo is None:
            raise ValueError("horodatage sans fuseau horaire refusé (UTC attendu)")
        return valeur.astimezone(timezone.utc)

    def process_result_value(self, valeur: datetime | None, dialect: object) -> datetime | None:
        if valeur is None:
            return None
        return valeur.replace(tzinfo=timezone.utc) if valeur.tzinfo is None else valeur.astimezone(timezone.utc)


def maintenant() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)
