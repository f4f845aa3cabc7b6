"""The project's local MongoDB-compatible server (nx-27017 on SQLite): start, stop, status from its pid file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from zava.errors import KitError
from zava.settings import LOCAL_SERVER_HOST, LOCAL_SERVER_PORT, PROJECT_ROOT

STATE_DIR = PROJECT_ROOT / ".local-server"


@dataclass(frozen=True)
class LocalServer:
    """One nx-27017 process: where it keeps its files and where it listens."""

    root: Path = STATE_DIR
    host: str = LOCAL_SERVER_HOST
    port: int = LOCAL_SERVER_PORT

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.root / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def record(self) -> tuple[int, int] | None:
        """(pid, port) of the server running from these files, or None (a stale pid file is removed)."""
        try:
            pid, port = (int(part) for part in self.pid_file.read_text().split())
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid):
            self.pid_file.unlink(missing_ok=True)
            return None
        return pid, port

    def pid(self) -> int | None:
        """The pid of the server running from these files on this port, or None."""
        found = self.record()
        return found[0] if found and found[1] == self.port else None

    def answers(self, timeout_ms: int = 500) -> bool:
        client: MongoClient = MongoClient(self.uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
        try:
            client.admin.command("ping")
            return True
        except PyMongoError:
            return False
        finally:
            client.close()

    def _port_taken(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex((self.host, self.port)) == 0

    def start(self, timeout: float = 20.0) -> int:
        """Start the server in the background and wait until it answers ping; returns its pid."""
        found = self.record()
        if found and found[1] == self.port:
            return found[0]
        if found:
            raise KitError(f"the local server already runs from {self.root} on port {found[1]}; stop it first")
        if self._port_taken():
            raise KitError(f"another program already listens on {self.host}:{self.port}; stop it or choose --port")
        (self.root / "data").mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "nx_27017.nx_27017",
            "--data-dir",
            str(self.root / "data"),
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--log-file",
            str(self.log_file),
            "--pid-file",
            str(self.root / "nx.pid"),
        ]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        self.pid_file.write_text(f"{process.pid} {self.port}\n")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise KitError(f"the local server exited at start (code {process.returncode}); see {self.log_file}")
            if self.answers():
                return process.pid
            time.sleep(0.1)
        self.stop()
        raise KitError(f"the local server did not answer within {timeout:.0f} s; see {self.log_file}")

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the server running from these files (whatever its port); False when none was running."""
        found = self.record()
        if found is None:
            return False
        pid = found[0]
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
            if not _alive(pid):
                break
        self.pid_file.unlink(missing_ok=True)
        return True


def _alive(pid: int) -> bool:
    """Whether the process runs (reaping it first if it is our exited child)."""
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True
