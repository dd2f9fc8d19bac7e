"""``python -m conformance.server`` / ``dify-conformance serve``: run the reference server.

The web stack and the database layer are imported only once the arguments are known to be good, so
``--help``, ``--list-faults`` and usage errors answer at once and the server starts fast.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from typing import Any, NoReturn

from .faults import FAULTS, Faults, UnknownFault
from .latency import JITTERS, ResponseLatency
from .policy import ServerPolicy

__all__ = ["main", "build_parser", "READY_PREFIX"]

READY_PREFIX = "dify-conformance reference server listening on "
_PROG = "dify-conformance serve"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage text: scripts read it
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    defaults = ServerPolicy()
    parser = _Parser(prog=_PROG, description="Run the dify-conformance reference server (Dify's Service API "
                     "for conversations, under /v1).")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (default 8000)")
    parser.add_argument("--db", default="sqlite://", metavar="URL",
                        help="SQLAlchemy database URL (default: in-memory SQLite; e.g. sqlite:///path.db)")
    parser.add_argument("--api-key", action="append", default=[], metavar="KEY",
                        help="an accepted API key, one app each (repeatable; default: env DIFY_API_KEY, "
                             "comma-separated; none: one is generated and printed on stderr)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="switch on a named deviation (repeatable; see --list-faults)")
    parser.add_argument("--list-faults", action="store_true", help="list the fault names and exit")
    parser.add_argument("--seed", type=int, default=0, help="seed of the faults that use randomness")
    parser.add_argument("--limit-min", type=int, default=defaults.limit_min, metavar="N",
                        help=f"smallest limit served; below it 400 (default {defaults.limit_min})")
    parser.add_argument("--limit-max", type=int, default=defaults.limit_max, metavar="N",
                        help=f"largest limit served; above it 400 (default {defaults.limit_max})")
    parser.add_argument("--limit-default", type=int, default=defaults.limit_default, metavar="N",
                        help=f"limit in effect when none is given (default {defaults.limit_default})")
    parser.add_argument("--sort-values", default=",".join(defaults.sort_values), metavar="A,B,...",
                        help="the sort_by values served, comma-separated; others get 400 "
                             f"(default {','.join(defaults.sort_values)})")
    parser.add_argument("--sort-default", default=defaults.sort_default, metavar="VALUE",
                        help=f"the order when no sort_by is given (default {defaults.sort_default})")
    parser.add_argument("--user-optional", action="store_true",
                        help="serve a request without user as a default end user's list")
    parser.add_argument("--latency-ms", type=float, default=0.0, metavar="MS",
                        help="delay every response by MS milliseconds, without holding up other requests "
                             "(for benchmarks; default 0)")
    parser.add_argument("--latency-jitter", choices=JITTERS, default="none",
                        help="none: every delay is --latency-ms; lognormal: drawn around it as median, "
                             "seeded by --seed (p90 about 1.9x, p99 about 3.2x; default none)")
    parser.add_argument("--timestamps", default=defaults.timestamps, choices=("truncated", "rounded-creations"),
                        help="how writes are dated: truncated to the second (default), or creations rounded to "
                             "the nearest second and updates truncated, as Dify on PostgreSQL")
    parser.add_argument("--access-log", action="store_true", help="log every request (off by default)")
    return parser


def _attach_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``--sort-default -updated_at`` -> ``--sort-default=-updated_at``.

    argparse reads a value starting with "-" as another option; sort values do start with "-", and
    callers naturally pass them as separate words.
    """
    takes_value = {flag for action in parser._actions if action.nargs is None and action.option_strings
                   and not isinstance(action, argparse._StoreTrueAction) for flag in action.option_strings}
    result: list[str] = []
    index = 0
    while index < len(argv):
        token = argv[index]
        if token in takes_value and index + 1 < len(argv):
            result.append(f"{token}={argv[index + 1]}")
            index += 2
        else:
            result.append(token)
            index += 1
    return result


def _api_keys(given: list[str]) -> tuple[list[str], bool]:
    """The keys to accept and whether one was generated."""
    raw = given or [os.environ.get("DIFY_API_KEY", "")]
    keys = [key.strip() for item in raw for key in item.split(",") if key.strip()]
    if keys:
        return list(dict.fromkeys(keys)), False
    return ["app-" + secrets.token_urlsafe(18)], True


def _policy(args: argparse.Namespace) -> ServerPolicy:
    policy = ServerPolicy(
        limit_min=args.limit_min, limit_max=args.limit_max, limit_default=args.limit_default,
        sort_values=tuple(value.strip() for value in args.sort_values.split(",") if value.strip()),
        sort_default=args.sort_default.strip(), user_required=not args.user_optional, timestamps=args.timestamps,
    )
    problems = policy.problems()
    if problems:
        raise _UsageError("; ".join(problems))
    return policy


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, bound before uvicorn starts, so that port 0 gives a real port to print."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only switches Nagle off (TCP_NODELAY) on sockets that do, and
    # without it every keep-alive response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    return sock


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/v1"


def _list_faults() -> None:
    try:
        for fault in FAULTS.values():
            print(f"{fault.name:28} breaks {','.join(fault.breaks):20} {fault.description}")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _fail(message: str, status: int) -> int:
    print(f"{_PROG}: error: {message}", file=sys.stderr, flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(_attach_values(sys.argv[1:] if argv is None else list(argv), parser))
        if args.list_faults:
            _list_faults()
            return 0
        faults = Faults.of(args.fault)
        policy = _policy(args)
        latency = ResponseLatency(args.latency_ms, args.latency_jitter)
        if latency.problems():
            raise _UsageError("; ".join(latency.problems()))
        if not 0 <= args.port <= 65535:
            raise _UsageError(f"--port must be within 0..65535, got {args.port}")
    except (_UsageError, UnknownFault) as exc:
        return _fail(str(exc), 2)
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    keys, generated = _api_keys(args.api_key)
    return _serve(args, keys, generated, policy, faults, latency)


def _serve(args: argparse.Namespace, keys: list[str], generated: bool, policy: ServerPolicy,
           faults: Faults, latency: ResponseLatency) -> int:
    try:
        app = _create_app(args.db, keys, policy, faults, args.seed, latency)
    except _UsageError as exc:
        return _fail(str(exc), 2)
    except Exception as exc:  # the database is unreachable, refuses the schema, ...: one line, no traceback
        return _fail(f"cannot open the database: {type(exc).__name__}: {_first_line(exc)}", 1)
    try:
        sock = _listen(args.host, args.port)
    except (OSError, OverflowError) as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc}", 1)
    if generated:
        print(f"{_PROG}: no API key given; generated one for this run: {keys[0]}", file=sys.stderr, flush=True)
    if faults:
        print(f"{_PROG}: faults on: {', '.join(faults)}", file=sys.stderr, flush=True)
    if latency.active:
        print(f"{_PROG}: every response delayed {latency.median_ms:g} ms"
              f"{' (log-normal median)' if latency.jitter == 'lognormal' else ''}", file=sys.stderr, flush=True)
    try:
        stopped_by = _run(app, sock, args.access_log)
    except KeyboardInterrupt:  # Ctrl-C: uvicorn shut down cleanly, then re-raised the signal
        return 130
    # A parent that ignores SIGINT (a CI runner, an xdist worker) passes that on to us: uvicorn still
    # shuts down on it, but its re-raised signal is ignored, so the status must say so here.
    return 128 + stopped_by if stopped_by else 0


def _create_app(db_url: str, keys: list[str], policy: ServerPolicy, faults: Faults, seed: int,
                latency: ResponseLatency) -> Any:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    from .app import create_app

    try:
        return create_app(db_url, keys, policy, faults, seed, latency)
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
        raise _UsageError(f"--db {_redacted(db_url)}: {_first_line(exc)}") from None


def _redacted(db_url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable URL)"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _run(app: Any, sock: socket.socket, access_log: bool) -> int | None:
    """Serve until told to stop; returns the signal that stopped the server, if one did."""
    import uvicorn

    url = _url(sock)

    class _Server(uvicorn.Server):
        stopped_by: int | None = None

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if not self.should_exit:  # serving now: tell whoever started us where
                print(READY_PREFIX + url, flush=True)

        def handle_exit(self, sig: int, frame: Any) -> None:
            self.stopped_by = self.stopped_by or sig
            super().handle_exit(sig, frame)

    config = uvicorn.Config(app, log_level="warning", access_log=access_log, lifespan="on", http="h11",
                            loop="asyncio", server_header=False, timeout_graceful_shutdown=3)
    server = _Server(config)
    server.run(sockets=[sock])
    return server.stopped_by


if __name__ == "__main__":
    sys.exit(main())
