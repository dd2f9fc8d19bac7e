"""``ReferenceServer``: the reference server in a child process, for the suite and for tests.

It runs ``python -m conformance.server --port 0 ...``, reads the one line the server prints once it
listens, and stops it (terminate, then kill) on exit. API keys travel in the environment
(``DIFY_API_KEY``), never on the command line, where any local user could read them.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from .__main__ import READY_PREFIX
from .policy import ServerPolicy

__all__ = ["ReferenceServer", "ServerStartError"]


class ServerStartError(RuntimeError):
    """The server did not come up; the message holds what it wrote on stderr."""


def _package_root() -> str:
    # The directory holding the ``conformance`` package, so the child imports this very copy of it.
    return str(Path(__file__).resolve().parents[2])


class ReferenceServer:
    """A running reference server: ``with ReferenceServer() as server: server.base_url``."""

    def __init__(
        self,
        api_keys: Sequence[str] | None = None,
        *,
        faults: Sequence[str] = (),
        db_url: str | None = None,
        policy: ServerPolicy | None = None,
        seed: int | None = None,
        extra_args: Sequence[str] = (),
        host: str = "127.0.0.1",
        startup_timeout: float = 10.0,
        python: str = sys.executable,
    ) -> None:
        keys = list(api_keys) if api_keys else ["app-" + secrets.token_urlsafe(18)]
        for key in keys:
            if not key.strip() or "," in key or key != key.strip():
                raise ValueError("API keys must be non-empty, without commas or surrounding spaces")
        self.api_keys: tuple[str, ...] = tuple(keys)
        self.faults = tuple(faults)
        self.db_url = db_url
        self.policy = policy
        self.seed = seed
        self.extra_args = tuple(extra_args)
        self.host = host
        self.startup_timeout = startup_timeout
        self.python = python
        self.base_url = ""
        self.startup_seconds: float | None = None  # from spawning to the ready line
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._drain: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        return self.api_keys[0]

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        args = [self.python, "-m", "conformance.server", "--host", self.host, "--port", "0"]
        if self.db_url:
            args += ["--db", self.db_url]
        if self.policy is not None:
            args += self.policy.as_args()
        for fault in self.faults:
            args += ["--fault", fault]
        if self.seed is not None:
            args += ["--seed", str(self.seed)]
        return [*args, *self.extra_args]

    def start(self) -> ReferenceServer:
        if self._process is not None:
            raise RuntimeError("the server is already running")
        env = dict(os.environ)
        env["DIFY_API_KEY"] = ",".join(self.api_keys)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_package_root(), env.get("PYTHONPATH", "")) if p)
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (closed by close())
        started = time.perf_counter()
        self._process = subprocess.Popen(
            self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
            env=env, text=True, encoding="utf-8", errors="replace", bufsize=1,
        )
        line = self._ready_line()
        if line is None or not line.startswith(READY_PREFIX):
            try:  # stdout closed: the process is exiting, let its status arrive
                code: int | None = self._process.wait(1)
            except subprocess.TimeoutExpired:
                code = None
            why = f"exited with status {code}" if code is not None else \
                f"did not report ready within {self.startup_timeout:g} s"
            self.stop()
            raise ServerStartError(f"the reference server {why}: {self._stderr_text() or '(nothing on stderr)'}")
        self.startup_seconds = time.perf_counter() - started
        self.base_url = line[len(READY_PREFIX):].strip()
        return self

    def _ready_line(self) -> str | None:
        """The first stdout line, or None on timeout or exit; the rest of stdout is drained in the background."""
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        found: list[str] = []
        first = threading.Event()

        def drain() -> None:
            for number, text in enumerate(stdout):
                if number == 0:
                    found.append(text)
                    first.set()
            first.set()

        self._drain = threading.Thread(target=drain, name="reference-server-stdout", daemon=True)
        self._drain.start()
        first.wait(self.startup_timeout)
        return found[0] if found else None

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        try:
            self._stderr.seek(0)
            return self._stderr.read().strip()[-4000:]
        except (OSError, ValueError):
            return ""

    @property
    def stderr(self) -> str:
        """What the server wrote on stderr so far."""
        return self._stderr_text()

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s); its exit status, None if it never ran."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if self._drain is not None:  # ends at EOF, now that the server is gone; then the pipe can close
            self._drain.join(5)
            self._drain = None
        if process.stdout is not None:
            process.stdout.close()
        return process.returncode

    def close(self) -> None:
        self.stop()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> ReferenceServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
