"""`make serve` as a person uses it: a process on 127.0.0.1, real HTTP in, users in the Cord emulator, clean stop."""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from lambda_runtime import ROOT
from serve import wait_for_ready

pytestmark = pytest.mark.network

OKTA_DELIVERY = {
    "eventType": "com.okta.event_hook",
    "eventTypeVersion": "1.0",
    "cloudEventsVersion": "0.1",
    "contentType": "application/json",
    "eventId": "b5a188b9-5ece-4636-b041-482ffda96311",
    "eventTime": "2026-12-03T10:00:01.000Z",
    "source": "https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3",
    "data": {
        "events": [
            {
                "uuid": "f2a1f5c6-9a1b-11ee-b9d1-0242ac120002",
                "published": "2026-12-03T10:00:00.512Z",
                "eventType": "user.lifecycle.create",
                "version": "0",
                "severity": "INFO",
                "displayMessage": "Create Okta user",
                "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@example.com", "displayName": "Admin"},
                "outcome": {"result": "SUCCESS"},
                "target": [
                    {
                        "id": "00u1grace",
                        "type": "User",
                        "alternateId": "grace@example.com",
                        "displayName": "Grace Hopper",
                    }
                ],
            }
        ]
    },
}


def call(url, method="GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
        return response.status, json.loads(raw) if raw else None


@pytest.fixture
def served():
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'layers' / 'cord_sync'}{os.pathsep}{ROOT / 'local'}",
        "PORT": "0",
        "SCIM_TOKEN": "scim-token-for-tests",
        "OKTA_HOOK_SECRET": "okta-secret-for-tests",
    }
    for name in ("AWS_ENDPOINT_URL", "CORD_API_URL", "SYNC_QUEUE_URL", "STATE_TABLE_NAME"):
        env.pop(name, None)
    process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter running local/serve.py
        [sys.executable, str(ROOT / "local" / "serve.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base, lines = wait_for_ready(process.stdout)
        cord = next(re.search(r"http://\S+", line).group(0) for line in lines if "Cord emulator" in line)
        # Keep reading what it prints (a line per request): a full pipe would block the server.
        output: list[str] = []
        reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)
        reader.start()
        yield process, base, cord, "".join(lines), output
        reader.join(timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_provisions_over_scim_and_okta_hooks_then_stops_cleanly(served):
    process, base, cord, banner, output = served
    assert f"{base}/scim/v2" in banner and "Bearer scim-token-for-tests" in banner
    assert f"{base}/webhooks/okta" in banner and "okta-secret-for-tests" in banner

    status, user = call(
        f"{base}/scim/v2/Users",
        "POST",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": True}],
            "active": True,
        },
        {"Authorization": "Bearer scim-token-for-tests", "Content-Type": "application/scim+json"},
    )
    assert status == 201
    status, _ = call(
        f"{base}/webhooks/okta",
        "POST",
        OKTA_DELIVERY,
        {"Authorization": "okta-secret-for-tests", "Content-Type": "application/json"},
    )
    assert status in (200, 204)

    deadline = time.monotonic() + 30
    users = {}
    while time.monotonic() < deadline:
        users = call(f"{cord}/_emulator/state")[1]["users"]
        if user["id"] in users and "00u1grace" in users:
            break
        time.sleep(0.2)
    assert users[user["id"]]["email"] == "ada@example.com"
    assert users["00u1grace"]["email"] == "grace@example.com"

    # What a person (or a conformance harness) pointing scim2-tester at `make serve` sees.
    http = Client(base_url=f"{base}/scim/v2", headers={"Authorization": "Bearer scim-token-for-tests"}, timeout=20)
    results = check_server(SyncSCIMClient(http))
    assert len(results) > 100
    assert [(r.title, r.reason) for r in results if r.status is not Status.SUCCESS] == []

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
    time.sleep(0.2)
    out = "".join(output)
    assert "sync  applied user.upsert" in out and "stopping" in out and "Traceback" not in out
    assert '"_aws"' not in out and '"level"' not in out  # logs and metrics go to the log file
