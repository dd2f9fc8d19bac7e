"""Every option of a run, declared once: flag, environment variable, config-file key, type and help.

The CLI's ``run`` parser, the pytest plugin's options and the config-file validation are all made
from :data:`RUN_OPTIONS`; :func:`conformance.config.settings.build_settings` turns the values into one
frozen :class:`~conformance.config.settings.Settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Option", "RUN_OPTIONS", "add_options", "option_named"]


@dataclass(frozen=True, slots=True)
class Option:
    name: str  # the config-file key and the argparse dest; the flag is --name-with-dashes
    help: str
    kind: type = str  # str, int, float, or bool (a flag that takes no value)
    metavar: str | None = None
    env: str | None = None  # the environment variable that sets it (flags win, the file loses)
    choices: tuple[str, ...] = ()
    in_files: bool = True  # False: never read from a config file (the API key)

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def argparse_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for argparse's ``add_argument`` and pytest's ``addoption`` alike.

        Values stay strings here (``default=None`` = not given): build_settings converts and checks
        them, so a bad value gets the same one-line message from a flag, the environment or a file.
        """
        env = f" (env {self.env})" if self.env else ""
        kwargs: dict[str, Any] = {"dest": self.name, "help": self.help + env, "default": None}
        if self.kind is bool:
            kwargs["action"] = "store_true"
        elif self.choices:
            kwargs["choices"] = self.choices
        else:
            kwargs["metavar"] = self.metavar or "VALUE"
        return kwargs


RUN_OPTIONS: tuple[Option, ...] = (
    Option("base_url", "API root of the target, e.g. https://dify.example.com/v1; omitted: the bundled "
           "reference server", metavar="URL", env="DIFY_BASE_URL"),
    Option("api_key", "the app's API key; prefer the environment variable, a flag shows in the process list",
           metavar="KEY", env="DIFY_API_KEY", in_files=False),
    Option("other_api_key", "the API key of a second app on the same deployment: APP-01 then checks that the two "
           "apps' conversations never mix; prefer the environment variable", metavar="KEY", env="DIFY_OTHER_API_KEY",
           in_files=False),
    Option("spec", "OpenAPI document holding GET /conversations (default: the bundled seed spec)", metavar="PATH"),
    Option("report_dir", "where reports go (default: reports/)", metavar="DIR"),
    Option("profile", "quick (the CI gate, default) or full (certification)", choices=("quick", "full")),
    Option("seed", "seed of the run; the same seed reproduces it", int, metavar="N"),
    Option("read_only", "send only GET /conversations, reading the existing --user", bool),
    Option("user", "with --read-only: the existing user whose list is read", metavar="ID"),
    Option("other_user", "with --read-only: a second existing user; USER-02 then also checks that the two "
           "users' lists are disjoint", metavar="ID"),
    Option("timeout", "connect and read timeout per request, in seconds (default 30)", float, metavar="SECONDS"),
    Option("rate_limit", "at most this many requests per second", float, metavar="PER_SECOND"),
    Option("max_requests", "send at most N requests (deletes of the run's own test data excepted); checks "
           "left unjudged are skipped", int, metavar="N"),
    Option("waivers", "TOML file of accepted deviations", metavar="FILE"),
    Option("ca_bundle", "CA bundle to verify the target's TLS certificate", metavar="PATH"),
    Option("insecure", "do not verify TLS certificates", bool),
    Option("time_budget", "seconds for the whole run (default: per profile)", float, metavar="SECONDS"),
    Option("concurrency", "at most N requests in flight at once (default 4; 1 sends one at a time)", int,
           metavar="N", env="DIFY_CONCURRENCY"),
)

_BY_NAME = {option.name: option for option in RUN_OPTIONS}


def option_named(name: str) -> Option:
    return _BY_NAME[name]


def add_options(add: Callable[..., Any]) -> None:
    """Declare every run option through ``add`` (argparse's ``add_argument``, pytest's ``addoption``)."""
    for option in RUN_OPTIONS:
        add(option.flag, **option.argparse_kwargs())
