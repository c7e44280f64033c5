"""Which placeholders the file's database driver understands, read from its imports.

A parameterized query is only right in the driver's own style: ``sqlite3`` binds ``?`` and raises
on ``%s``, psycopg binds ``%s`` and reads ``?`` as text, asyncpg and node-postgres want ``$1``.
The style is inferred from what the file imports (anywhere in it: drivers are often imported
inside a function); a file that imports drivers of two styles, or none we know, has no style, and
then no SQL fix is verified in it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum


class ParamStyle(StrEnum):
    """PEP 249's names where they exist."""

    QMARK = "qmark"  # ?
    FORMAT = "format"  # %s (pyformat drivers take %(name)s as well)
    NUMERIC = "numeric"  # $1, $2 (PostgreSQL wire protocol)
    NAMED = "named"  # :name

    @property
    def example(self) -> str:
        return {"qmark": "?", "format": "%s", "numeric": "$1", "named": ":name"}[self.value]


# The style the analyzer renders SQL fix templates in, for the document being analyzed (the
# unit cache is keyed by it, so a changed import never leaves a fix in the old style).
PARAM_STYLE: ContextVar[ParamStyle | None] = ContextVar("coderev_param_style", default=None)



@contextmanager
def param_style(style: ParamStyle | None) -> Iterator[None]:
    """Analyze (and render SQL fixes) as in a file whose driver has ``style``: for a unit
    analyzed apart from its file, whose imports it does not show."""
    token = PARAM_STYLE.set(style)
    try:
        yield
    finally:
        PARAM_STYLE.reset(token)


_PY_IMPORT = r"^[ \t]*(?:import|from)[ \t]+(?:{})\b"
_JS_IMPORT = r"""(?:require\s*\(\s*|\bfrom\s+|^\s*import\s+)['"](?:{})['"]"""
_GO_IMPORT = r'"(?:{})"'

# (language family, style, pattern)
_DRIVERS: tuple[tuple[str, ParamStyle, str], ...] = (
    ("python", ParamStyle.QMARK, _PY_IMPORT.format(r"sqlite3|aiosqlite|pyodbc|duckdb|jaydebeapi")),
    ("python", ParamStyle.FORMAT, _PY_IMPORT.format(
        r"psycopg2|psycopg|pymysql|MySQLdb|mysql\.connector|aiomysql|aiopg|pgdb|pg8000|django\.db|asyncmy")),
    ("python", ParamStyle.NUMERIC, _PY_IMPORT.format(r"asyncpg")),
    ("python", ParamStyle.NAMED, _PY_IMPORT.format(r"cx_Oracle|oracledb")),
    ("javascript", ParamStyle.NUMERIC, _JS_IMPORT.format(r"pg|pg-pool|postgres|@neondatabase/serverless")),
    ("javascript", ParamStyle.QMARK, _JS_IMPORT.format(
        r"mysql|mysql2|mysql2/promise|sqlite3|better-sqlite3|node:sqlite|sqlite")),
    ("go", ParamStyle.NUMERIC, _GO_IMPORT.format(r"github\.com/lib/pq|github\.com/jackc/pgx(?:/v\d)?(?:/stdlib)?")),
    ("go", ParamStyle.QMARK, _GO_IMPORT.format(
        r"github\.com/go-sql-driver/mysql|github\.com/mattn/go-sqlite3|modernc\.org/sqlite")),
    ("java", ParamStyle.QMARK, r"^\s*import\s+java\.sql\."),
)
_NOT_DRIVER_WORDS = frozenset({"import", "from", "require", "github", "com", "org"})
# (family, style, words one of which the source must hold for the pattern to match, pattern): the
# analyzer reads the style on every analysis (every keystroke), and a substring test is about ten
# times cheaper than the multi-line regex, which then runs only on files that name a driver.
_COMPILED = tuple(
    (family, style, tuple(w.encode() for w in set(re.findall(r"[A-Za-z_]\w+", p)) - _NOT_DRIVER_WORDS),
     re.compile(p.encode(), re.M))
    for family, style, p in _DRIVERS
)
_FAMILY = {"typescript": "javascript", "tsx": "javascript"}


def _styles_in(data: bytes, family: str) -> frozenset[ParamStyle]:
    return frozenset(style for fam, style, words, pattern in _COMPILED
                     if fam == family and any(w in data for w in words) and pattern.search(data))


def infer_param_style(source: bytes | str, language: str) -> ParamStyle | None:
    """The one placeholder style the drivers imported by ``source`` share, or None."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    found = _styles_in(data, _FAMILY.get(language, language))
    return next(iter(found)) if len(found) == 1 else None


_UNIT_STYLES: dict[tuple[str, Hashable], frozenset[ParamStyle]] = {}


def units_param_style(units: Iterable[tuple[int, int, Hashable]], source: bytes, language: str) -> ParamStyle | None:
    """:func:`infer_param_style` from a file's top-level units ``(start, end, key of the unit's
    text)``: what each unit imports is remembered by its key, so a keystroke searches only the
    unit that changed, not 5,000 lines for every driver name."""
    family = _FAMILY.get(language, language)
    found: set[ParamStyle] = set()
    for start, end, key in units:
        styles = _UNIT_STYLES.get((family, key))
        if styles is None:
            if len(_UNIT_STYLES) > 16384:
                _UNIT_STYLES.clear()
            styles = _UNIT_STYLES[(family, key)] = _styles_in(source[start:end], family)
        found |= styles
    return next(iter(found)) if len(found) == 1 else None


def driver_names(language: str) -> str:
    """For messages: the drivers whose style is known, by language."""
    family = _FAMILY.get(language, language)
    return ", ".join(sorted({s.value for fam, s, _ in _DRIVERS if fam == family}))
