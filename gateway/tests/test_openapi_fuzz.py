"""A schemathesis pass over the OpenAPI document against the gateway as a process: whatever the
generated arguments (valid ones, and ones the schema forbids), no answer is a 5xx of the gateway's own making. 501 (not available) and 503
(service down: the compiler is not running here) are the honest answers for those commands and
must come as our JSON error body."""

from __future__ import annotations

import itertools
import json
import urllib.request
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from .conftest import GatewayProcess

# The real media service runs behind this gateway; commands that write files or walk folders
# (create_proxy, scan_folder) are left out so random paths cannot make them do real work.
FUZZED = (
    "/api/v1/invoke/media.probe",
    "/api/v1/invoke/probe_media_file",
    "/api/v1/invoke/media.probe_batch",
    "/api/v1/invoke/media.thumbnail",
    "/api/v1/invoke/media.waveform",
    "/api/v1/invoke/media.get_diagnostics",
    "/api/v1/invoke/compiler.validate_project",
    "/api/v1/invoke/compiler.render",
    "/api/v1/invoke/security.put_secret",
    "/api/v1/invoke/check_services_health",
    "/api/v1/commands",
    "/api/v1/health",
    "/healthz",
)
ALLOWED_5XX = {"COMMAND_NOT_AVAILABLE": 501, "SERVICE_UNAVAILABLE": 503}


def gateway_openapi(gateway: GatewayProcess) -> Any:
    with urllib.request.urlopen(f"{gateway.url}/api/v1/openapi.json", timeout=10) as reply:
        document = json.load(reply)
    missing = set(FUZZED) - set(document["paths"])
    assert not missing, missing
    document["paths"] = {path: item for path, item in document["paths"].items() if path in FUZZED}
    document["servers"] = [{"url": gateway.url}]
    return schemathesis.openapi.from_dict(document)


def test_no_generated_request_gets_a_server_error(gateway_process: GatewayProcess) -> None:
    token = (gateway_process.data_dir / "gateway" / "dev-token").read_text().strip()
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in gateway_openapi(gateway_process).get_all_operations()]
    assert len(operations) == len(FUZZED)
    for operation, mode in itertools.product(operations, (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)):

        @given(case=operation.as_strategy(mode))
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def no_server_error(case: Any) -> None:
            response = case.call(base_url=gateway_process.url, headers=headers, timeout=30)
            if response.status_code >= 500:
                error = response.json()["error"]
                if error["reason"] == "DEADLINE_EXCEEDED" and "X-Request-Timeout" in (case.headers or {}):
                    return  # the fuzzer asked for a deadline too short to meet: an honest 504
                assert ALLOWED_5XX.get(error["reason"]) == response.status_code, (case.path, response.text)
            elif response.status_code >= 400:
                assert "error" in response.json(), (case.path, response.text)

        try:
            no_server_error()
        except Unsatisfiable:
            # Nothing about this operation can be made invalid (a GET without parameters).
            assert mode is GenerationMode.NEGATIVE
