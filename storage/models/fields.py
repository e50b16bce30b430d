"""Column helpers every table uses: UTC times, enums as text, exact scores, bounded strings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from storage.types import ExactDecimal, UTCDateTime, enum_type


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def when(nullable: bool = False, default: bool = True):
    return Field(
        default_factory=utcnow if default else None,
        sa_type=UTCDateTime,
        sa_column_kwargs={"nullable": nullable},
    )


def maybe_when():
    return Field(default=None, sa_type=UTCDateTime, nullable=True)


def enum_field(enum_cls, **kwargs):
    return Field(sa_type=enum_type(enum_cls), **kwargs)


def score_field():
    return Field(default=None, sa_type=ExactDecimal(9, 4), nullable=True)


def text_field(length: int, **kwargs):
    return Field(sa_type=sa.String(length), **kwargs)
