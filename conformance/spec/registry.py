"""Every check of the suite and the requirements it serves, in one place.

The plugin marks each collected check with its requirements from here (a suite check missing here
is a usage error), ``dify-conformance requirements --json`` lists the checks of each requirement,
and the verdict ranks evidence with it. A check still reports violations of any requirement it
sees; it counts as *judging* only the ones it serves.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalogue import Req

__all__ = ["Check", "CHECKS", "CROSSCUT", "check_named", "checks_serving", "is_generated"]


@dataclass(frozen=True, slots=True)
class Check:
    module: str  # the suite module (``test_page``), or ``crosscut`` for a judge of every exchange
    name: str  # the check function, or the requirement a cross-cutting check judges
    serves: tuple[Req, ...]
    title: str = ""  # cross-cutting checks: their name in the reports (suite checks use their docstring)
    generated: bool = False  # schemathesis-generated requests: as evidence they come after the plain probes

    @property
    def key(self) -> str:
        return f"{self.module}::{self.name}"


R = Req
# A walk judges PAGE-01 and PAGE-02, and the response's limit on every page (LIMIT-04): with more
# conversations than the maximum limit, later pages are where a limit echoed as the item count shows.
_WALK = (R.PAGE_01, R.PAGE_02, R.LIMIT_04)

CHECKS: tuple[Check, ...] = (
    Check("test_generated", "test_generated_requests",
          (R.ROBUST_01, R.SCHEMA_01, R.USER_01, R.LIMIT_02, R.LIMIT_05, R.SORT_03), generated=True),
    Check("test_auth", "test_requests_without_a_valid_key_are_refused_with_401", (R.AUTH_01,)),
    Check("test_rejections", "test_limits_outside_the_bounds_are_refused", (R.LIMIT_02,)),
    Check("test_rejections", "test_random_limits_outside_the_bounds_are_refused", (R.LIMIT_02,)),
    Check("test_rejections", "test_limits_that_are_not_integers_are_refused", (R.LIMIT_05,)),
    Check("test_rejections", "test_random_non_integer_limits_are_refused", (R.LIMIT_05,)),
    Check("test_rejections", "test_sort_values_outside_the_enum_are_refused", (R.SORT_03,)),
    Check("test_rejections", "test_random_sort_values_outside_the_enum_are_refused", (R.SORT_03,)),
    Check("test_rejections", "test_a_missing_required_user_is_refused", (R.USER_01,)),
    Check("test_rejections", "test_a_cursor_naming_no_conversation_is_refused", (R.PAGE_03,)),
    Check("test_rejections", "test_malformed_cursors_are_refused", (R.PAGE_04,)),
    Check("test_user", "test_a_missing_optional_user_sees_none_of_the_test_data", (R.USER_01,)),
    Check("test_user", "test_each_users_list_holds_only_their_conversations", (R.USER_02,)),
    Check("test_user", "test_near_identical_user_ids_see_no_test_data", (R.USER_02,)),
    Check("test_user", "test_another_users_conversation_is_no_cursor", (R.USER_02, R.PAGE_03)),
    Check("test_user", "test_odd_user_ids_are_answered_without_a_server_error", (R.ROBUST_01, R.USER_02)),
    Check("test_user", "test_non_ascii_and_special_character_users_see_exactly_their_conversations",
          (R.DATA_01, R.USER_02)),
    Check("test_limit", "test_boundary_limits_are_served_exactly", (R.LIMIT_01, R.LIMIT_04)),
    Check("test_limit", "test_random_limits_are_served_exactly", (R.LIMIT_01, R.LIMIT_04)),
    Check("test_limit", "test_the_default_limit_applies", (R.LIMIT_03,)),
    Check("test_sort", "test_each_sort_value_orders_by_its_field", (R.SORT_01,)),
    Check("test_sort", "test_without_sort_by_the_default_order_applies", (R.SORT_02,)),
    Check("test_page", "test_walks_at_boundary_limits_visit_every_conversation_once", _WALK),
    Check("test_page", "test_walk_at_the_default_limit", _WALK),
    Check("test_page", "test_random_walks_visit_every_conversation_once", _WALK),
    Check("test_schema", "test_list_responses_match_the_schema", (R.SCHEMA_01, R.SCHEMA_02)),
    Check("test_schema", "test_timestamps_are_epoch_seconds_near_creation", (R.SCHEMA_03,)),
    Check("test_schema", "test_a_quick_follow_up_is_not_dated_before_its_creation", (R.SCHEMA_03,)),
    Check("test_stable", "test_repeated_requests_return_the_same_body", (R.STABLE_01,)),
    Check("test_data", "test_a_created_conversation_is_listed_until_deleted", (R.DATA_01, R.PAGE_03)),
    Check("test_data", "test_a_new_message_or_a_rename_moves_a_conversation_up", (R.DATA_02,)),
    Check("test_lifecycle", "test_the_conversation_lifecycle_matches_the_model",
          (R.PAGE_01, R.PAGE_02, R.PAGE_03, R.SORT_01, R.DATA_01, R.DATA_02, R.USER_02, R.LIMIT_04, R.STABLE_01)),
    Check("test_app", "test_neither_app_lists_the_other_apps_conversations", (R.APP_01,)),
)

# Judges of every exchange of the run, whichever check sent it (evidence.py).
CROSSCUT: tuple[Check, ...] = (
    Check("crosscut", R.ROBUST_01, (R.ROBUST_01,), "ROBUST-01 no response of the whole run is a 5xx, a redirect "
          "or missing"),
    Check("crosscut", R.SCHEMA_01, (R.SCHEMA_01,), "SCHEMA-01 every 200 list response of the run is JSON and "
          "valid against the spec's schema"),
    Check("crosscut", R.SCHEMA_02, (R.SCHEMA_02,), "SCHEMA-02 every 200 list response of the run has every "
          "documented property"),
    Check("crosscut", R.SCHEMA_03, (R.SCHEMA_03,), "SCHEMA-03 every conversation any 200 list response of the "
          "run holds has epoch-second timestamps, updated_at >= created_at"),
)

_BY_KEY = {check.key: check for check in (*CHECKS, *CROSSCUT)}


def check_named(module: str, name: str) -> Check | None:
    return _BY_KEY.get(f"{module}::{name}")


def checks_serving(requirement: Req) -> list[Check]:
    return [check for check in (*CHECKS, *CROSSCUT) if requirement in check.serves]


def is_generated(check_id: str) -> bool:
    """``check_id`` as results carry it: a pytest node id (``.../test_generated.py::test_x[positive]``)."""
    path, _, function = check_id.partition("::")
    module = path.rsplit("/", 1)[-1].removesuffix(".py")
    check = check_named(module, function.split("[", 1)[0])
    return check is not None and check.generated
