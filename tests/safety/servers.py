"""Small, real HTTP servers on 127.0.0.1 that misbehave on purpose, for the safety tests.

A :class:`TestServer` runs an *app* (a function from :class:`Request` to what to do) in a thread and
records every request it receives. What to do is a :class:`Reply` (any status, headers, reason phrase
and body, including an endless or slowly dripping one), :class:`Hang` (accept the request, never
answer) or :class:`Reset` (drop the connection with a TCP reset). :class:`Upstream` forwards a
request to another server, so an app can be a recording or misbehaving proxy in front of the
reference server. No mocks: the suite under test talks to these over real sockets.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = ["Request", "Reply", "Hang", "Reset", "TestServer", "Upstream", "make_certificate", "endless",
           "json_reply", "json_escaped", "EchoingProxy"]

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
               "proxy-connection", "host"}


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # path and query, as received
    headers: tuple[tuple[str, str], ...]
    body: bytes
    at: float  # time.monotonic() when it arrived
    number: int  # 1 for the first request this server received

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.target).query, keep_blank_values=True)

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8")) if self.body else None
        except ValueError:
            return None

    @property
    def user(self) -> str | None:
        """The Dify ``user`` of this request: query parameter or JSON body field."""
        body = self.json()
        if isinstance(body, dict) and isinstance(body.get("user"), str):
            return body["user"]
        return self.param("user")

    def is_list(self) -> bool:
        return self.method == "GET" and self.path.endswith("/conversations")

    def is_create(self) -> bool:
        body = self.json()
        return (self.method == "POST" and self.path.endswith("/chat-messages") and isinstance(body, dict)
                and not body.get("conversation_id"))


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None  # the status line's reason phrase
    length: int | None = None  # Content-Length announced for an iterable body (None: until the connection closes)
    raw_header_lines: list[bytes] = field(default_factory=list)  # written as they are, e.g. malformed ones


def json_reply(data: Any, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    return Reply(status, json.dumps(data).encode("utf-8"), [("Content-Type", "application/json"), *headers])


@dataclass
class Hang:
    """Read the request, then answer nothing (until ``seconds`` pass or the server stops)."""

    seconds: float | None = None


class Reset:
    """Drop the connection with a TCP reset instead of answering."""


Outcome = Reply | Hang | Reset
App = Callable[[Request], Outcome]


def endless(chunk: bytes, *, interval: float = 0.0, total: int | None = None) -> Iterator[bytes]:
    """``chunk`` again and again: ``total`` bytes in all, or forever; ``interval`` seconds apart."""
    sent = 0
    while total is None or sent < total:
        piece = chunk if total is None else chunk[: total - sent]
        sent += len(piece)
        yield piece
        if interval:
            time.sleep(interval)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else headers and body, written apart, wait ~40 ms for a delayed ACK
    server: _HttpServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (BaseHTTPRequestHandler's name)
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        owner = self.server.owner
        request = owner._record(self.command, self.path, tuple(self.headers.items()), body)
        try:
            outcome = owner.app(request)
        except Exception as exc:  # a bug in a test app: say so, loudly, as a 599
            outcome = Reply(599, f"test server app failed: {exc!r}".encode())
        if isinstance(outcome, Hang):
            owner.stopping.wait(outcome.seconds)
            self.close_connection = True
        elif isinstance(outcome, Reset):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()  # the descriptor closes (RST) once rfile and wfile are closed in finish()
        else:
            self._reply(outcome)

    def _reply(self, reply: Reply) -> None:
        self.send_response(reply.status, reply.reason)
        for name, value in reply.headers:
            self.send_header(name, value)
        whole = isinstance(reply.body, bytes)
        length = len(reply.body) if isinstance(reply.body, bytes) else reply.length
        if length is not None:
            self.send_header("Content-Length", str(length))
        if not whole:
            self.send_header("Connection", "close")
            self.close_connection = True
        for line in reply.raw_header_lines:  # last: a malformed line ends header parsing on the client
            self._headers_buffer.append(line.rstrip(b"\r\n") + b"\r\n")  # type: ignore[attr-defined]
        try:
            self.end_headers()
            if self.command == "HEAD":
                return
            if isinstance(reply.body, bytes):
                self.wfile.write(reply.body)
                return
            for chunk in reply.body:
                if self.server.owner.stopping.is_set():
                    break
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True  # the client stopped reading: exactly what a capped client does

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: TestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hangs up early is expected here, not a test failure


class TestServer:
    """``with TestServer(app) as server:`` a real HTTP(S) server on a free loopback port."""

    __test__ = False

    def __init__(self, app: App, *, tls: tuple[Path, Path] | None = None) -> None:
        self.app = app
        self.tls = tls
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None

    def _record(self, method: str, target: str, headers: tuple[tuple[str, str], ...], body: bytes) -> Request:
        with self._lock:
            request = Request(method, target, headers, body, time.monotonic(), len(self._requests) + 1)
            self._requests.append(request)
        return request

    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return list(self._requests)

    @property
    def port(self) -> int:
        assert self._httpd is not None
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def __enter__(self) -> TestServer:
        httpd = _HttpServer(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                        name=f"test-server-{self.port}")
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)


class Upstream:
    """Forwards requests to another server (e.g. the reference), for proxies that record or misbehave."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            connection.connect()
            assert connection.sock is not None
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection

    def __call__(self, request: Request) -> Reply:
        headers = {k: v for k, v in request.headers if k.lower() not in _HOP_BY_HOP}
        for attempt in range(2):  # a kept-alive connection the upstream closed meanwhile: once more, afresh
            try:
                connection = self._connection()
                connection.request(request.method, request.target, body=request.body or None, headers=headers)
                response = connection.getresponse()
                body = response.read()
                break
            except (http.client.HTTPException, OSError):
                if getattr(self._local, "connection", None) is not None:
                    self._local.connection.close()
                self._local.connection = None
                if attempt:
                    raise
        kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP | {"date", "server"}]
        return Reply(response.status, body, kept, reason=response.reason)


def make_certificate(directory: Path, name: str = "target") -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (openssl CLI): (certificate, key)."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


def json_escaped(text: str) -> str:
    """``text`` as a JSON string body in which every character is a \\u escape: the same string, other bytes."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


class EchoingProxy:
    """A hostile target: the reference behind it, but the key comes back in every way a target can send it.

    Every response carries the Authorization header and the key in headers (as a value, in a header
    name, in a cookie, in a malformed header line), and JSON bodies carry it plainly and hidden in
    escapes; some list pages hold an item whose id *is* the key (so a cursor, a path or a message can
    carry it); some requests are answered 500 with the key in the body and the reason phrase, 400 with
    the Authorization header in the message, or a redirect with the key in the Location.

    Only walk requests are answered so: list requests whose cursor is an id this proxy served. Which
    request gets which number depends on how the run's threads interleave; the single requests that
    alone judge a requirement (the default order, an unknown cursor) are never broken, so the run
    still judges every MUST requirement and writes its certification bundle, where a leak would show.
    """

    def __init__(self, upstream: Upstream, key: str, elsewhere: str) -> None:
        self.upstream = upstream
        self.key = key
        self.elsewhere = elsewhere
        self.served: set[str] = set()  # ids of the items in the list pages served

    def __call__(self, request: Request) -> Outcome:
        auth = request.header("authorization") or "(none)"
        key, n = self.key, request.number
        breakable = request.is_list() and request.param("last_id") in self.served
        echo = [("X-Echo-Authorization", auth), (f"X-Echo-{key}", "1"), ("Set-Cookie", f"session={key}; Path=/"),
                ("WWW-Authenticate", f'Bearer realm="{key}", error="invalid_token"')]
        raw = [f"{key} this header line has no colon".encode()]
        if n > 1 and n % 13 == 0 and breakable:
            return Reply(500, f"internal error: token {key} rejected for {auth}".encode(),
                         [("Content-Type", "text/plain"), *echo], reason=f"Broken {key}", raw_header_lines=raw)
        if n > 1 and n % 17 == 0 and breakable:
            reply = json_reply({"code": "invalid_param", "message": f"{auth} is not a valid key",
                                "status": 400}, 400, echo)
            reply.raw_header_lines = raw
            return reply
        if n > 1 and n % 29 == 0 and breakable:
            return Reply(302, b"", [("Location", f"{self.elsewhere}/steal?key={key}&auth={auth}"), *echo])
        reply = self.upstream(request)
        reply.headers += echo
        reply.raw_header_lines = raw
        body = _json_or_none(reply.body)
        if isinstance(body, dict) and isinstance(body.get("data"), list):
            self.served.update(item["id"] for item in body["data"] if isinstance(item, dict) and "id" in item)
        if isinstance(body, dict):
            body["echo"] = {"authorization": auth, "key": key}
            if request.is_list() and isinstance(body.get("data"), list) and n % 5 == 0:
                body["data"].append({"id": key, "name": auth, "inputs": {"key": key}, "status": "normal",
                                     "introduction": key, "created_at": 1, "updated_at": 1})
            text = json.dumps(body)
            reply.body = (text[:-1] + f', "hidden": "{json_escaped(auth)}"}}').encode()
        return reply


def _json_or_none(body: bytes | Iterable[bytes]) -> Any:
    if not isinstance(body, bytes):
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
