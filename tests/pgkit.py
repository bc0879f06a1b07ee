"""A throwaway PostgreSQL server for the tests (a helper module, not a test module).

Debian's ``postgresql`` package puts its programs in ``/usr/lib/postgresql/VERSION/bin``. ``initdb``
and ``postgres`` refuse to run as root, so as root they run as the package's ``postgres`` user
(``setpriv``, which execs: the process we hold is the server itself). The server listens on a unix
socket in a private temporary folder only (no TCP port at all), with fsync off; :meth:`stop` shuts
it down and deletes the folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote


def bindir() -> Path | None:
    """The newest installed PostgreSQL's programs, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    postgres = shutil.which("postgres")
    return Path(postgres).parent if postgres else None


def missing_reason() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    if bindir() is None:
        return "needs the Debian package postgresql (apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "runs PostgreSQL as the user postgres, which this machine lacks (reinstall postgresql)"
        if shutil.which("setpriv") is None:
            return "needs setpriv (util-linux) to run PostgreSQL as the user postgres"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "needs psycopg (pip install -r requirements.txt)"
    return None


@dataclass
class PostgresServer:
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bgapp-pg-")))
    user: str = "bgapp"
    proc: subprocess.Popen | None = None
    _databases: int = 0

    def _as_owner(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def start(self, timeout: float = 60.0) -> PostgresServer:
        bins = bindir()
        assert bins is not None
        data = self.folder / "data"
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            for p in (self.folder, self.socket_dir):
                os.chown(p, entry.pw_uid, entry.pw_gid)
        log = self.folder / "postgres.log"
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        subprocess.run([*self._as_owner(), str(bins / "initdb"), "-D", str(data), "-U", self.user, "-A", "trust",
                        "-E", "UTF8", "--no-sync", "--no-instructions"], check=True, capture_output=True, env=env,
                       cwd=self.folder, timeout=120)
        with open(os.open(log, os.O_WRONLY | os.O_CREAT, 0o666), "wb") as out:
            if os.geteuid() == 0:
                os.chown(log, pwd.getpwnam("postgres").pw_uid, -1)
            self.proc = subprocess.Popen(
                [*self._as_owner(), str(bins / "postgres"), "-D", str(data), "-c", "listen_addresses=",
                 "-c", f"unix_socket_directories={self.socket_dir}", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100"],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self.folder, start_new_session=True)
        deadline = time.monotonic() + timeout
        import psycopg

        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited with {self.proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def new_database(self) -> str:
        """A fresh, empty database's URL (each test gets its own)."""
        import psycopg

        self._databases += 1
        name = f"test_{os.getpid()}_{self._databases}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: ends the sessions, then exits
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)
