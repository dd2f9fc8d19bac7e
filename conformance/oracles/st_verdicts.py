"""Schemathesis' verdicts mapped onto the catalogue, never passed through as they are.

Against this spec plain schemathesis cries wolf: the seed documents only 200, so every 4xx is
"undocumented", and it counts ``user=`` as valid data. So: a server error is ROBUST-01; a
content-type or schema failure is SCHEMA-01 only on a 200 and only when our own validator agrees;
"negative data accepted" counts only where the contract obliges a rejection (oracles.params), under
the requirement that obliges it. Everything else (status_code_conformance, positive_data_acceptance,
unsupported_method, ...) is not run: the catalogue does not ask for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..spec.catalogue import Req
from .params import Obligation

__all__ = ["SCHEMATHESIS_CHECKS", "requirement_for_failure"]

# The schemathesis checks the suite runs, by name (resolved lazily: importing schemathesis is slow).
SCHEMATHESIS_CHECKS = ("not_a_server_error", "response_schema_conformance", "content_type_conformance",
                       "negative_data_rejection")

_SCHEMA_FAILURES = {"JsonSchemaError", "MalformedJson", "UndefinedContentType", "MissingContentType",
                    "MalformedMediaType"}


def requirement_for_failure(failure_type: str, status: int, obligations: Sequence[Obligation],
                            schema_confirmed: bool) -> Req | None:
    """The requirement a schemathesis failure shows broken, or None when it shows nothing the catalogue asks."""
    if failure_type == "ServerError":
        return Req.ROBUST_01
    if failure_type in _SCHEMA_FAILURES:
        return Req.SCHEMA_01 if status == 200 and schema_confirmed else None
    if failure_type == "AcceptedNegativeData":
        return obligations[0][0] if obligations and 200 <= status < 300 else None
    return None
