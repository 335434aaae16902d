"""Schemathesis against the live API (real simulator data): no 5xx, and every response fits the
OpenAPI document. Bounded: at most 20 generated examples per operation and mode.

Excluded on purpose:
* POST /api/v1/services/{name}/restart: restarting engines (the API itself included) in the
  middle of a fuzz run would make later calls fail for reasons unrelated to their input; it has
  its own tests in test_api_admin.py.
* the positive_data_acceptance check: some rules span parameters (start < end, a window's longest
  span, a real IANA zone) and cannot be stated in OpenAPI 3.0, so well-formed but meaningless
  requests are 400 by design.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core.api.openapi import build_openapi
from core.api.server import all_routes
from tests.api_live import LiveRuntime, start_live

# The document a loopback server serves (data routes open), as the live server below listens on 127.0.0.1.
DOCUMENT = build_openapi(all_routes(), data_key_required=False)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT).exclude(operation_id="restart_service")
# The key is always sent (admin key: every route accepts it); auth itself is tested in test_api_auth.py.
SCHEMA.config.generation.update(with_security_parameters=False, max_examples=20)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveRuntime]:
    rt = start_live(tmp_path_factory.mktemp("api_fuzz"), rate=100.0)
    try:
        assert not rt.api.key_required
        served = rt.get("/api/openapi.json").json()
        assert {k: v for k, v in served.items() if k != "servers"} == DOCUMENT
        rt.wait_stored(300)
        root = rt.call_soon(rt.runtime.simulator.trigger_automation_chain)
        rt.wait_until(lambda: rt.get(f"/api/v1/events/automation-trace/{root}").status_code == 200, "a trace")
        yield rt
    finally:
        rt.stop()


@SCHEMA.parametrize()
@settings(
    max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None
)
def test_api_conforms_to_its_openapi_document(case: schemathesis.Case, live: LiveRuntime) -> None:
    case.call_and_validate(
        base_url=live.base_url,
        session=live.session,
        headers={"Authorization": f"Bearer {live.admin_key}"},
        excluded_checks=[positive_data_acceptance],
    )
