"""Engine and sessions for SQLite (default) and PostgreSQL."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from infra.errors import HostflowError


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, reads: bool = False) -> Engine:
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_transactions(engine, "BEGIN" if reads else "BEGIN IMMEDIATE")
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_transactions(engine: Engine, begin: str) -> None:
    """WAL plus BEGIN IMMEDIATE for sessions that may write: writers queue on the busy
    timeout instead of failing with 'database is locked' when a read transaction tries
    to upgrade. Read-only sessions begin deferred: in WAL a reader sees a snapshot and
    neither waits for a writer nor makes one wait."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(begin)


def _refuse_writes(_session, _context, _instances) -> None:
    raise RuntimeError("a read-only session was given changes")


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_engine = make_engine(url, reads=True) if is_sqlite(url) else self.engine
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        event.listen(self._reads, "before_flush", _refuse_writes)

    @contextmanager
    def session(self) -> Session:
        with self._sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def reading(self) -> Session:
        """A session for reads only (a flush in it is refused, not queued behind writers)."""
        with self._reads() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


@lru_cache(maxsize=4)
def database(url: str) -> Database:
    """One Database (engines and their pools) per URL in a process. A process without
    one (a hypervisor worker: HOSTFLOW_NODE set, no HOSTFLOW_DATABASE_URL) gets none."""
    if not url:
        raise HostflowError("no database URL in this process (HOSTFLOW_DATABASE_URL): a hypervisor node "
                            "has no database", code="database_url_unset")
    return Database(url)
