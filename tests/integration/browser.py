"""A tiny Chrome DevTools Protocol client over ``--remote-debugging-pipe``: no dependency, no port.

Chromium reads NUL-terminated JSON commands on fd 3 and writes NUL-terminated JSON replies and
events on fd 4. Enough to load a page headless and see what a person would: script errors, console
errors, failed loads, any request leaving the file, the rendered text and a screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_PACKAGES", "find_chromium", "Browser", "PageLoad", "open_browser"]

# Debian's package (bookworm: chromium, which pulls in chromium-common); .ci/run installs it.
CHROMIUM_PACKAGES = ("chromium",)
_NAMES = ("chromium", "chromium-browser")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-extensions", "--mute-audio", "--hide-scrollbars", "--window-size=1280,900",
)


def find_chromium() -> str | None:
    """``$CHROMIUM`` if set, else the first of chromium, chromium-browser on PATH."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    return next((path for path in map(shutil.which, _NAMES) if path), None)


class BrowserError(RuntimeError):
    pass


@dataclass
class PageLoad:
    """What happened while one page loaded, and what it shows."""

    url: str
    exceptions: list[str] = field(default_factory=list)  # uncaught script errors
    console_errors: list[str] = field(default_factory=list)  # console.error/assert, and browser log errors
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    failed_loads: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return self.exceptions + self.console_errors + self.failed_loads


class Browser:
    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int) -> None:
        self.process = process
        self._out = to_browser
        self._in = from_browser
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        self.session: str | None = None

    # -- the protocol ----------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True,
             timeout: float = 30.0) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(index)
            self._events.append(self._receive(deadline))

    def drain(self, seconds: float) -> None:
        """Collect the events that arrive within ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._events.append(self._receive(deadline))
            except TimeoutError:
                return

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium in time")
            ready, _, _ = select.select([self._in], [], [], left)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise BrowserError(f"chromium closed the pipe (exit status {self.process.poll()})")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    # -- one page --------------------------------------------------------------------------------

    def load(self, path: Path, timeout: float = 30.0) -> PageLoad:
        """Open ``path`` in a fresh tab and wait for it to load; the tab stays open for evaluate()."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self._events.clear()
        url = path.resolve().as_uri()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired", timeout)
        self.drain(0.5)  # late console messages or errors
        load = PageLoad(url)
        for event in self._events:
            load_event(load, event)
        self._events.clear()
        return load

    def evaluate(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"evaluating {expression[:80]!r}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        path.write_bytes(base64.b64decode(data))
        return path


def load_event(load: PageLoad, event: dict[str, Any]) -> None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        text = details.get("exception", {}).get("description") or details.get("text", "exception")
        load.exceptions.append(str(text))
    elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        load.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in params["args"]))
    elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        load.console_errors.append(params["entry"].get("text", ""))
    elif method == "Network.requestWillBeSent":
        load.requests.append(params["request"]["url"])
    elif method == "Network.loadingFailed" and not params.get("canceled"):
        load.failed_loads.append(f"{params.get('errorText')} ({params.get('type')})")


@contextmanager
def open_browser(chromium: str, timeout: float = 30.0) -> Iterator[Browser]:
    """Headless chromium with its own throw-away profile, stopped (and waited for) on exit."""
    with tempfile.TemporaryDirectory(prefix="dify-conformance-chromium-") as profile, \
            tempfile.TemporaryFile() as stderr:
        commands_r, commands_w = os.pipe()  # we write, chromium reads on its fd 3
        replies_r, replies_w = os.pipe()  # chromium writes on its fd 4, we read

        def child_fds() -> None:  # in the child, before exec: the pipe ends become fds 3 and 4
            high_r, high_w = os.dup(commands_r), os.dup(replies_w)  # copies first: 3 or 4 may be taken
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
            os.set_inheritable(3, True)  # also when dup2 had nothing to do (the copy already was 3)
            os.set_inheritable(4, True)

        # close_fds=False: Python's own descriptors are not inheritable anyway; closing all would close 3 and 4.
        process = subprocess.Popen(
            [chromium, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            preexec_fn=child_fds, close_fds=False,
        )
        os.close(commands_r)
        os.close(replies_w)
        browser = Browser(process, commands_w, replies_r)
        try:
            try:
                browser.send("Browser.getVersion", session=False, timeout=timeout)
                yield browser
            except (BrowserError, TimeoutError) as exc:
                _stop(process, browser)
                stderr.seek(0)
                text = stderr.read().decode(errors="replace").strip()
                raise BrowserError(f"{exc}; chromium's stderr:\n{text[-2000:]}") from None
        finally:
            _stop(process, browser)
            os.close(commands_w)
            os.close(replies_r)


def _stop(process: subprocess.Popen[bytes], browser: Browser) -> None:
    if process.poll() is not None:
        return
    with suppress(BrowserError, TimeoutError, OSError):
        browser.send("Browser.close", session=False, timeout=5)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
