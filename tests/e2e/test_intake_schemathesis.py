"""schemathesis against intake's OpenAPI document (CONTRACT §4): no 5xx, and no answer outside the documented status
codes, media types and schemas. Run through schemathesis' own CLI against the live intake of the e2e platform. Only
/v1/ is exercised: /admin/clock would move the shared platform's clock under the other tests."""

import subprocess
import sys

import pytest

from tousu.kit.platform import Platform

pytest.importorskip("schemathesis")
pytestmark = pytest.mark.e2e
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance", "response_schema_conformance")


def test_contract4_intake_openapi_no_server_error_and_no_schema_violation(platform: Platform, admin_token: str) -> None:
    run = subprocess.run(
        [
            sys.executable, "-m", "schemathesis.cli", "run", f"{platform.url('intake')}/openapi.json",
            "-H", f"Authorization: Bearer {admin_token}",
            "--include-path-regex", "^/v1/",
            "--checks", ",".join(CHECKS),
            "--max-examples", "25", "--seed", "20261123",
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
