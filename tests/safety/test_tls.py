"""TLS is verified by default: a self-signed target is unusable (exit 3, one line) unless its certificate
is given with --ca-bundle, or verification is switched off with --insecure. The https target is the
reference server behind a small TLS-terminating proxy, with a certificate made for this test."""

from __future__ import annotations

import time

import pytest

from conformance.spec.catalogue import Req

from .conftest import leaks, one_line_reason, tracebacks
from .servers import TestServer, Upstream, make_certificate

pytestmark = pytest.mark.slow  # whole runs of the suite against live servers

# A few checks of each kind are enough to show that the whole run works over TLS; the full suite over
# TLS is the same suite.
SUBSET = ("--", "-k", "test_auth or test_user or test_boundary_limits")


@pytest.fixture
def https_target(tmp_path, reference):
    cert, private_key = make_certificate(tmp_path)
    with TestServer(Upstream(reference().base_url), tls=(cert, private_key)) as proxy:
        yield proxy, cert


def test_a_self_signed_certificate_is_refused_by_default(cli, key, https_target):
    proxy, _ = https_target
    start = time.monotonic()
    run = cli("--base-url", proxy.base_url, "--timeout", "2")
    assert run.exit_code == 3, run.explain()
    assert time.monotonic() - start < 20
    reason = one_line_reason(run)
    assert "TLS" in reason and "certificate" in reason and "--ca-bundle" in reason, reason
    assert not proxy.requests, "a request went over a connection whose certificate was not verified"
    assert not tracebacks(run.stdout + run.stderr)
    assert not leaks(run, key)


@pytest.mark.parametrize("how", ["ca-bundle", "insecure"])
def test_the_target_is_tested_with_its_ca_bundle_or_insecure(cli, key, https_target, how):
    proxy, cert = https_target
    flags = ["--ca-bundle", str(cert)] if how == "ca-bundle" else ["--insecure"]
    run = cli("--base-url", proxy.base_url, *flags, *SUBSET)
    assert run.exit_code == 0, run.explain()
    assert run.summary["verdict"] == "pass", run.explain()
    assert {Req.AUTH_01, Req.LIMIT_01} <= {r["id"] for r in run.summary["requirements"] if r["status"] == "passed"}
    assert len(proxy.requests) > 10 and all(r.header("authorization") for r in proxy.requests[:1])
    assert not leaks(run, key)
