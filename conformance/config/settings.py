"""One frozen settings object, built once from flags, environment and config file (in that precedence).

The environment is read in :func:`build_settings` only. The API keys come from ``--api-key`` or
``DIFY_API_KEY`` and ``--other-api-key`` or ``DIFY_OTHER_API_KEY``, never from a file.
"""

from __future__ import annotations

import os
import random
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .options import RUN_OPTIONS, option_named
from .profiles import Profile, profile_named

__all__ = ["Settings", "build_settings", "load_config_file", "CONFIG_KEYS", "settings_to_wire", "settings_from_wire"]

# config-file key -> (type, description): the run options that may come from a file
CONFIG_KEYS: dict[str, tuple[type, str]] = {o.name: (o.kind, o.help) for o in RUN_OPTIONS if o.in_files}

DEFAULT_CONCURRENCY = 4  # requests in flight at once without --concurrency

_SECRETS = frozenset(o.name for o in RUN_OPTIONS if not o.in_files)  # the API keys: never in files or on the wire
_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


@dataclass(frozen=True)
class Settings:
    base_url: str | None  # None: start the bundled reference server
    api_key: str | None
    spec_path: str | None  # None: the bundled seed spec
    report_dir: Path
    profile: Profile
    seed: int
    read_only: bool
    user: str | None
    timeout_s: float
    rate_limit: float | None
    waivers_path: str | None
    verify: bool | str
    time_budget_s: float
    other_user: str | None = None  # read-only: a second existing user, for USER-02's disjointness
    max_requests: int | None = None  # hard cap on the requests sent (test-data deletes excepted)
    concurrency: int = DEFAULT_CONCURRENCY  # at most this many requests in flight at once (the whole run's)
    other_api_key: str | None = None  # a second app's key, for APP-01; secret like api_key

    def __repr__(self) -> str:  # the keys never show, not even in a traceback
        return (f"Settings(base_url={self.base_url!r}, api_key={'***' if self.api_key else None}, "
                f"other_api_key={'***' if self.other_api_key else None}, "
                f"profile={self.profile.name!r}, seed={self.seed})")


def load_config_file(directory: Path) -> tuple[dict[str, Any], str | None]:
    """``dify-conformance.toml``, else ``[tool.dify-conformance]`` of ``pyproject.toml``, in ``directory``."""
    for name, table in (("dify-conformance.toml", None), ("pyproject.toml", "dify-conformance")):
        path = directory / name
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UsageError(f"cannot read the config file {str(path)!r}: {exc}") from None
        if table is not None:
            data = data.get("tool", {}).get(table)
            if data is None:
                continue
        return _checked_config(data, path), str(path)
    return {}, None


def _checked_config(data: Any, path: Path) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise UsageError(f"{path}: the dify-conformance settings must be a table")
    for secret in (o for o in RUN_OPTIONS if not o.in_files):
        if secret.name in data:
            raise UsageError(f"{path}: {secret.name} is not read from files; set {secret.env} or pass {secret.flag}")
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise UsageError(f"{path}: unknown setting {key!r}; known: {', '.join(CONFIG_KEYS)}")
        kind = CONFIG_KEYS[key][0]
        ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise UsageError(f"{path}: {key} must be {_KIND_NAMES[kind]}, got {value!r}")
    return dict(data)


def build_settings(
    flags: Mapping[str, Any],
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Flags (None = not given) over environment over config file over defaults; UsageError if wrong."""
    environ = os.environ if environ is None else environ
    config, config_path = load_config_file(cwd or Path.cwd())
    sources: dict[str, str] = {}  # setting -> where its value came from, for error messages

    def pick(name: str) -> Any:
        env = option_named(name).env
        if flags.get(name) is not None:
            sources[name] = f"--{name.replace('_', '-')}"
            return flags[name]
        if env and environ.get(env):
            sources[name] = env
            return environ[env]
        sources[name] = f"{name} in {config_path}" if name in config else f"--{name.replace('_', '-')}"
        return config.get(name)

    def named(name: str) -> str:
        return sources.get(name, f"--{name.replace('_', '-')}")

    base_url = pick("base_url")
    if base_url is not None:
        base_url = _checked_url(str(base_url), named("base_url"))
    api_key = pick("api_key") or None  # never from a file: CONFIG_KEYS has no api_key
    other_api_key = pick("other_api_key") or None  # nor other_api_key
    if other_api_key is not None and other_api_key == api_key:
        raise UsageError(f"{named('other_api_key')} must be the key of a second app, not the same key as the first")
    read_only = bool(pick("read_only"))
    user = pick("user")
    if read_only and not user:
        raise UsageError("--read-only needs --user ID: the existing user whose conversations are read")
    if user and not read_only:
        raise UsageError("--user is for --read-only runs; write mode makes its own users")
    other_user = pick("other_user")
    if other_user is not None and not read_only:
        raise UsageError(f"{named('other_user')} is for --read-only runs: write mode makes its own second user")
    if other_user is not None and (not str(other_user) or other_user == user):
        raise UsageError(f"{named('other_user')} must name a second user, other than --user, got {other_user!r}")
    if read_only and base_url is None:
        raise UsageError("--read-only needs --base-url: the bundled reference server has no existing users")
    insecure = bool(pick("insecure"))
    ca_bundle = pick("ca_bundle")
    if insecure and ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other: choose one")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise UsageError(f"{named('ca_bundle')}: {ca_bundle!r} is not a readable file")
    profile_name = pick("profile")
    try:
        profile = profile_named(str(profile_name or "quick"))
    except UsageError as exc:
        raise UsageError(f"{named('profile')}: {exc}") from None
    seed = _number(pick("seed"), named("seed"), int, minimum=0)
    return Settings(
        base_url=base_url,
        api_key=api_key,
        spec_path=pick("spec"),
        report_dir=Path(pick("report_dir") or "reports"),
        profile=profile,
        seed=seed if seed is not None else random.SystemRandom().randrange(1, 2**31),
        read_only=read_only,
        user=user,
        timeout_s=_number(pick("timeout"), named("timeout"), float, minimum=0.1) or 30.0,
        rate_limit=_number(pick("rate_limit"), named("rate_limit"), float, minimum=0.01),
        waivers_path=pick("waivers"),
        verify=False if insecure else (ca_bundle or True),
        time_budget_s=_number(pick("time_budget"), named("time_budget"), float, minimum=1.0) or profile.time_budget_s,
        other_user=other_user,
        max_requests=_whole_number(pick("max_requests"), named("max_requests"), minimum=1),
        concurrency=_whole_number(pick("concurrency"), named("concurrency"), minimum=1) or DEFAULT_CONCURRENCY,
        other_api_key=other_api_key,
    )


def _number(value: Any, name: str, kind: type, *, minimum: float) -> Any:
    """``name`` says where the value came from: ``--seed``, ``seed in /path/dify-conformance.toml``."""
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name} must be a number, got {value!r}") from None
    if number != number or number in (float("inf"), float("-inf")):  # nan, inf: no bound holds them
        raise UsageError(f"{name} must be a finite number, got {value!r}")
    if number < minimum:
        raise UsageError(f"{name} must be at least {minimum:g}, got {value!r}")
    return number


def _whole_number(value: Any, name: str, *, minimum: int) -> int | None:
    """An integer setting: ``12`` or ``"12"``, never ``1.5`` or ``"ten"``."""
    if value is None:
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not text.lstrip("+-").isdigit():
        raise UsageError(f"{name} must be a whole number, got {value!r}")
    number = int(text)
    if number < minimum:
        raise UsageError(f"{name} must be at least {minimum}, got {value!r}")
    return number


def _checked_url(url: str, name: str = "--base-url") -> str:
    if not url.startswith(("http://", "https://")) or len(url.split("://", 1)[1].strip("/")) == 0:
        raise UsageError(f"{name} must be an http(s) URL such as https://dify.example.com/v1, got {url!r}")
    return url.rstrip("/")


def settings_to_wire(settings: Settings) -> dict[str, Any]:
    """The settings as plain JSON-able data, for xdist workers (the API keys travel apart, see plugin)."""
    data = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name not in _SECRETS}
    data["report_dir"] = str(settings.report_dir)
    data["profile"] = settings.profile.name
    return data


def settings_from_wire(data: Mapping[str, Any], api_key: str | None, other_api_key: str | None = None) -> Settings:
    """What :func:`settings_to_wire` sent, as the same settings: workers never parse options again."""
    values = dict(data)
    values["report_dir"] = Path(values["report_dir"])
    values["profile"] = profile_named(values["profile"])
    return Settings(api_key=api_key, other_api_key=other_api_key, **values)
