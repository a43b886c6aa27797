"""A private, throwaway PostgreSQL server for the tests and benchmarks: the real thing, no mock.

``start()`` runs Debian's ``initdb`` and ``pg_ctl`` on a fresh data folder (as the ``postgres``
user when this process is root, since PostgreSQL refuses to run as root), listening on
127.0.0.1 only with trust authentication. ``SHOPKEEPER_TEST_POSTGRES`` names an existing server
instead (a ``postgresql://`` URL whose user may create databases).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV_URL = "SHOPKEEPER_TEST_POSTGRES"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def unavailable_reason() -> str | None:
    """Why no test server can be had here, or None when one can."""
    if os.environ.get(ENV_URL):
        return None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if server_binaries() is None:
        return "PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)"
    if os.geteuid() == 0:
        try:
            import pwd
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server as"
    return None


@dataclass
class Server:
    url: str  # postgresql://user@host:port/postgres, a superuser

    def database_url(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + "/" + name

    def create_database(self, prefix: str = "shopkeeper_test") -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.database_url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def start() -> Iterator[Server]:
    """A running server for the duration of the block; stopped and deleted after."""
    if os.environ.get(ENV_URL):
        yield Server(os.environ[ENV_URL])
        return
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    binaries = server_binaries()
    root = Path(tempfile.mkdtemp(prefix="shopkeeper-pg-"))
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run([*as_user, str(binaries / "initdb"), "-D", str(data), "-U", "shopkeeper",
                    "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                   check=True, capture_output=True, env=env)
    options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    started = subprocess.run(
        [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
         "-w", "-t", "60", "start"], capture_output=True, env=env, text=True)
    if started.returncode != 0:
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else started.stderr
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {detail}")
    try:
        yield Server(f"postgresql://shopkeeper@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run([*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "-w", "stop"], capture_output=True, env=env)
        shutil.rmtree(root, ignore_errors=True)
