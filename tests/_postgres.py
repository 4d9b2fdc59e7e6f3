"""A throwaway PostgreSQL server for the test session, started from Debian's binaries.

The server runs as the ``postgres`` user when the tests run as root (PostgreSQL refuses root),
listens on 127.0.0.1 only, on a free port, with its data directory in a fresh temporary folder.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass


def find_postgres_bin() -> str | None:
    """Return the directory holding ``initdb`` and ``pg_ctl``, or ``None``."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(candidate, "initdb")):
            return candidate
    initdb = shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass
class PostgresServer:
    bin_dir: str
    data_dir: str
    port: int
    log_file: str

    @classmethod
    def start(cls, bin_dir: str) -> PostgresServer:
        base = tempfile.mkdtemp(prefix="autolog-pg-")
        os.chmod(base, 0o755)
        data_dir = os.path.join(base, "data")
        socket_dir = os.path.join(base, "socket")
        log_file = os.path.join(base, "server.log")
        os.mkdir(data_dir, 0o700)
        os.mkdir(socket_dir, 0o700)
        open(log_file, "w").close()
        if os.geteuid() == 0:
            for path in (data_dir, socket_dir, log_file):
                shutil.chown(path, "postgres", "postgres")
        server = cls(bin_dir, data_dir, _free_port(), log_file)
        try:
            server._start(socket_dir)
        except BaseException:
            shutil.rmtree(base, ignore_errors=True)
            raise
        return server

    def _start(self, socket_dir: str) -> None:
        self._run("initdb", "-D", self.data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        # Durability is irrelevant for a throwaway test server; speed is not.
        self._run(
            "pg_ctl",
            "-D",
            self.data_dir,
            "-l",
            self.log_file,
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k {socket_dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        )

    def _run(self, tool: str, *args: str) -> None:
        cmd = _as_server_user([os.path.join(self.bin_dir, tool), *args])
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", self.data_dir, "-m", "immediate", "stop")
        shutil.rmtree(os.path.dirname(self.data_dir), ignore_errors=True)

    def uri(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create an empty database and return its URI."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.uri(), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.uri(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
