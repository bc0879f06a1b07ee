"""Where a class challenge's rows live: a SQLite file by default, PostgreSQL where a URL is configured.

Why two: one Streamlit process (or several on one machine, ``bgapp host``) can share one SQLite file
(WAL mode, a busy timeout); replicas on several machines or containers cannot share a file, so a
server with ``BGAPP_DATABASE_URL=postgresql://...`` keeps the rows in PostgreSQL instead. Both run
the same SQL (placeholders written ``?``, turned into psycopg's ``%s``), create their schema on first
use (idempotent, serialised so that several processes starting at once agree), and do every write
in one transaction that the table constraints back: a name is unique within a challenge, a
submission only lands in an open challenge, and a row is replaced only by the owner who wrote it.

A connection per operation: Streamlit runs each session on its own thread, and a class is a few
dozen people, so opening one (a file, or a local socket) costs less than sharing one safely would.
"""

from __future__ import annotations

import os
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import BgappError

DATABASE_URL_ENV = "BGAPP_DATABASE_URL"  # postgresql://user:pass@host/db (several servers), or sqlite:///path
STATE_DIR_ENV = "BGAPP_STATE_DIR"  # where the server keeps its state (the default SQLite file)
SQLITE_FILE = "challenges.sqlite3"
BUSY_TIMEOUT_S = 30.0  # a writer waits this long for another process's write to finish
_SCHEMA_LOCK = 0x62676170  # "bgap": the advisory lock PostgreSQL's schema creation is serialised by

Outcome = Literal["inserted", "replaced", "taken", "closed", "missing"]


@dataclass(frozen=True)
class Challenge:
    """One challenge: a clip with ground truth, optionally a fixed method, open or closed."""

    id: int
    title: str
    clip: str  # a source spec (``demo``, ``case:NAME``, a shared sample's path under the shared data)
    method: str | None  # None: students pick any method
    max_frames: int | None  # None: the whole clip is scored
    open: bool
    created: float  # Unix time


@dataclass(frozen=True)
class Entry:
    """One row of a leaderboard: a name's latest submission and the score the server computed."""

    id: int
    challenge: int
    name: str
    name_key: str  # what uniqueness compares (case, width and spacing folded: see bgapp.challenge)
    owner: str  # the SHA-256 of the submitting session's token, never the token itself
    method: str
    settings: str  # the Config's JSON
    f_measure: float | None  # None where undefined (nothing to find in the scored frames)
    precision: float | None
    recall: float | None
    scored: int  # frames scored
    frames: int  # frames run
    submitted: float  # Unix time


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The server's state folder: ``BGAPP_STATE_DIR``, else ``$XDG_STATE_HOME/bgapp``, else
    ``~/.local/state/bgapp``; every replica on one machine resolves the same one."""
    env = os.environ if environ is None else environ
    given = env.get(STATE_DIR_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    xdg = env.get("XDG_STATE_HOME", "").strip()
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "bgapp"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """The configured URL, or the default SQLite file's ``sqlite:///`` URL."""
    env = os.environ if environ is None else environ
    return env.get(DATABASE_URL_ENV, "").strip() or f"sqlite:///{state_dir(env) / SQLITE_FILE}"


def open_store(url: str | None = None) -> Store:
    """The store a URL names (default: :func:`database_url`), its schema created if needed."""
    url = database_url() if url is None else url.strip()
    scheme = url.partition(":")[0].lower()
    if scheme in ("postgresql", "postgres"):
        return PostgresStore(url)
    if scheme == "sqlite" and url.lower().startswith("sqlite:///"):
        return SQLiteStore(Path(url[len("sqlite:///"):]))
    raise BgappError(f"{DATABASE_URL_ENV}: expected postgresql://... or sqlite:///PATH, got a {scheme or 'bare'} "
                     "address")


class Cursor(ABC):
    """The two drivers' cursors behind one call: SQL with ``?`` placeholders."""

    @abstractmethod
    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Execute; the rows it returns (none for a statement without results)."""


_CHALLENGE_COLS = "id, title, clip, method, max_frames, is_open, created"
_ENTRY_COLS = ("id, challenge, name, name_key, owner, method, settings, f_measure, prec, recall, scored, frames, "
               "submitted")


class Store(ABC):
    """Challenges and their entries, the same on both backends; subclasses only connect."""

    kind: str = ""
    id_column: str = ""

    @abstractmethod
    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Cursor]:
        """One transaction, committed on a clean exit and rolled back on an exception."""

    def _schema(self) -> list[str]:
        return [
            f"""CREATE TABLE IF NOT EXISTS bgapp_challenges (
                id {self.id_column},
                title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
                clip TEXT NOT NULL CHECK (length(clip) BETWEEN 1 AND 1000),
                method TEXT,
                max_frames INTEGER CHECK (max_frames IS NULL OR max_frames > 0),
                is_open INTEGER NOT NULL DEFAULT 1 CHECK (is_open IN (0, 1)),
                created DOUBLE PRECISION NOT NULL)""",
            f"""CREATE TABLE IF NOT EXISTS bgapp_entries (
                id {self.id_column},
                challenge BIGINT NOT NULL REFERENCES bgapp_challenges (id) ON DELETE CASCADE,
                name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                name_key TEXT NOT NULL,
                owner TEXT NOT NULL CHECK (length(owner) = 64),
                method TEXT NOT NULL,
                settings TEXT NOT NULL,
                f_measure DOUBLE PRECISION,
                prec DOUBLE PRECISION,
                recall DOUBLE PRECISION,
                scored INTEGER NOT NULL,
                frames INTEGER NOT NULL,
                submitted DOUBLE PRECISION NOT NULL,
                UNIQUE (challenge, name_key))""",
        ]

    # Challenges ---------------------------------------------------------------------------------

    def add_challenge(self, title: str, clip: str, method: str | None, max_frames: int | None) -> Challenge:
        with self.transaction(write=True) as cur:
            rows = cur.run("INSERT INTO bgapp_challenges (title, clip, method, max_frames, is_open, created) "
                           f"VALUES (?, ?, ?, ?, 1, ?) RETURNING {_CHALLENGE_COLS}",
                           (title, clip, method, max_frames, time.time()))
        return _challenge(rows[0])

    def challenge(self, challenge_id: int) -> Challenge | None:
        with self.transaction() as cur:
            rows = cur.run(f"SELECT {_CHALLENGE_COLS} FROM bgapp_challenges WHERE id = ?", (challenge_id,))
        return _challenge(rows[0]) if rows else None

    def challenges(self) -> list[Challenge]:
        """Every challenge, newest first."""
        with self.transaction() as cur:
            rows = cur.run(f"SELECT {_CHALLENGE_COLS} FROM bgapp_challenges ORDER BY id DESC")
        return [_challenge(r) for r in rows]

    def set_open(self, challenge_id: int, is_open: bool) -> bool:
        with self.transaction(write=True) as cur:
            rows = cur.run("UPDATE bgapp_challenges SET is_open = ? WHERE id = ? RETURNING id",
                           (int(is_open), challenge_id))
        return bool(rows)

    def delete_challenge(self, challenge_id: int) -> bool:
        """The challenge and (by the foreign key's cascade) its entries."""
        with self.transaction(write=True) as cur:
            cur.run("DELETE FROM bgapp_entries WHERE challenge = ?", (challenge_id,))  # SQLite without the pragma
            rows = cur.run("DELETE FROM bgapp_challenges WHERE id = ? RETURNING id", (challenge_id,))
        return bool(rows)

    def clear(self, challenge_id: int) -> int:
        """Delete every entry of a challenge; how many there were."""
        with self.transaction(write=True) as cur:
            rows = cur.run("DELETE FROM bgapp_entries WHERE challenge = ? RETURNING id", (challenge_id,))
        return len(rows)

    # Entries ------------------------------------------------------------------------------------

    def put(self, e: Entry) -> tuple[Outcome, Entry | None]:
        """Insert ``e``, or replace the row of its name where ``e.owner`` owns it, in one transaction.

        ``taken``: another owner holds the name (nothing written); ``closed``/``missing``: the
        challenge no longer takes submissions (closed or deleted meanwhile). The upsert's ``WHERE``
        and the unique constraint decide, so two sessions racing for one name cannot both get it."""
        with self.transaction(write=True) as cur:
            state = cur.run(f"SELECT is_open FROM bgapp_challenges WHERE id = ?{self._share}", (e.challenge,))
            if not state:
                return "missing", None
            if not state[0][0]:
                return "closed", None
            before = cur.run("SELECT owner FROM bgapp_entries WHERE challenge = ? AND name_key = ?",
                             (e.challenge, e.name_key))
            rows = cur.run(
                "INSERT INTO bgapp_entries (challenge, name, name_key, owner, method, settings, f_measure, prec, "
                "recall, scored, frames, submitted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (challenge, name_key) DO UPDATE SET name = excluded.name, method = excluded.method, "
                "settings = excluded.settings, f_measure = excluded.f_measure, prec = excluded.prec, "
                "recall = excluded.recall, scored = excluded.scored, frames = excluded.frames, "
                "submitted = excluded.submitted WHERE bgapp_entries.owner = excluded.owner "
                f"RETURNING {_ENTRY_COLS}",
                (e.challenge, e.name, e.name_key, e.owner, e.method, e.settings, e.f_measure, e.precision,
                 e.recall, e.scored, e.frames, e.submitted))
        if not rows:
            return "taken", None
        return ("replaced" if before else "inserted"), _entry(rows[0])

    def entries(self, challenge_id: int) -> list[Entry]:
        """The leaderboard: best F first (undefined last), then the earlier submission."""
        with self.transaction() as cur:
            rows = cur.run(f"SELECT {_ENTRY_COLS} FROM bgapp_entries WHERE challenge = ? "
                           "ORDER BY f_measure DESC NULLS LAST, submitted ASC, id ASC", (challenge_id,))
        return [_entry(r) for r in rows]

    def entry(self, challenge_id: int, name_key: str) -> Entry | None:
        with self.transaction() as cur:
            rows = cur.run(f"SELECT {_ENTRY_COLS} FROM bgapp_entries WHERE challenge = ? AND name_key = ?",
                           (challenge_id, name_key))
        return _entry(rows[0]) if rows else None

    def delete_entry(self, challenge_id: int, name_key: str, owner: str) -> bool:
        """Delete a row only where ``owner`` wrote it; whether one was deleted."""
        with self.transaction(write=True) as cur:
            rows = cur.run("DELETE FROM bgapp_entries WHERE challenge = ? AND name_key = ? AND owner = ? "
                           "RETURNING id", (challenge_id, name_key, owner))
        return bool(rows)

    _share = ""  # PostgreSQL: lock the challenge row against a close or delete until the entry commits


def _challenge(r: tuple) -> Challenge:
    return Challenge(int(r[0]), r[1], r[2], r[3], None if r[4] is None else int(r[4]), bool(r[5]), float(r[6]))


def _entry(r: tuple) -> Entry:
    return Entry(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5], r[6], _num(r[7]), _num(r[8]), _num(r[9]),
                 int(r[10]), int(r[11]), float(r[12]))


def _num(v: Any) -> float | None:
    return None if v is None else float(v)


# SQLite ---------------------------------------------------------------------------------------------

class _SQLiteCursor(Cursor):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.conn.execute(sql, tuple(params)).fetchall()


class SQLiteStore(Store):
    """A SQLite file that several processes on one machine share: WAL (readers never wait for the
    writer), a busy timeout, and ``BEGIN IMMEDIATE`` for every write (one writer at a time, decided
    when the transaction starts, so no write ever fails half-way on a lock)."""

    kind = "sqlite"
    id_column = "INTEGER PRIMARY KEY AUTOINCREMENT"  # AUTOINCREMENT: a deleted challenge's id never returns

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wal()
            with self.transaction(write=True) as cur:
                for sql in self._schema():
                    cur.run(sql)
        except sqlite3.Error as exc:
            raise BgappError(f"cannot use the challenge database {self.path}: {exc}") from None
        except OSError as exc:
            raise BgappError(f"cannot create the challenge database's folder {self.path.parent}: "
                             f"{exc.strerror or exc}") from None

    def _wal(self) -> None:
        """Switch the file to WAL (it stays so). Switching answers "locked" at once, without the busy
        timeout, while another process is switching or creating the file: retry for as long."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                with self._connect() as conn:
                    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Cursor]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _SQLiteCursor(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")


# PostgreSQL -----------------------------------------------------------------------------------------

class _PgCursor(Cursor):
    def __init__(self, cur: Any) -> None:
        self.cur = cur

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        self.cur.execute(sql.replace("?", "%s"), tuple(params))
        return self.cur.fetchall() if self.cur.description is not None else []


class PostgresStore(Store):
    """PostgreSQL through psycopg 3 (read committed); the schema is created under an advisory lock."""

    kind = "postgresql"
    id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    _share = " FOR SHARE"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise BgappError(f"{DATABASE_URL_ENV} names PostgreSQL, but psycopg is not installed "
                             "(pip install 'psycopg[binary]')") from None
        self._psycopg = psycopg
        self.url = url
        with self.transaction(write=True) as cur:
            cur.run(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")
            for sql in self._schema():
                cur.run(sql)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Cursor]:
        psycopg = self._psycopg
        try:
            conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BgappError(f"cannot reach the challenge database ({DATABASE_URL_ENV}): {first}") from None
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield _PgCursor(cur)
        finally:
            conn.close()
