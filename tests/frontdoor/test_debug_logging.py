"""Debug settings never make a handler print the request it got (bearer tokens, hook secrets, emails)."""

import os
import subprocess
import sys

import pytest

from lambda_runtime import ROOT

MARKER = "never-print-me-7f3a9c"
EVENTS = {
    "scim": (
        "http_api_event('GET', '/scim/v2/Users', headers={'authorization': 'Bearer " + MARKER + "'})",
        "SCIM_TOKEN_SECRET_ARN",
    ),
    "webhooks": (
        "http_api_event('POST', '/webhooks/okta', body='{}', headers={'authorization': '"
        + MARKER
        + "', 'content-type': 'application/json'})",
        "OKTA_HOOK_SECRET_ARN",
    ),
    "sync_queue": (
        "{'Records': [{'messageId': 'm1', 'body': json.dumps({'type': 'user.upsert', 'id': 'e1', "
        "'time': '2026-12-03T09:00:00Z', 'source': 't', "
        "'data': {'id': 'u1', 'email': '" + MARKER + "@example.com'}})}]}",
        "CORD_SECRET_ARN",
    ),
    "sync_events": (
        "{'id': 'e1', 'time': '2026-12-03T09:00:00Z', 'source': 'hr', 'detail-type': 'user.upsert', "
        "'detail': {'id': 'u1', 'email': '" + MARKER + "@example.com'}}",
        "CORD_SECRET_ARN",
    ),
}


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_debug_settings_never_print_the_event(tmp_path, name):
    event, secret_env = EVENTS[name]
    script = tmp_path / "probe.py"
    script.write_text(
        "import json\n"
        "from http_gateway import http_api_event\n"
        "from lambda_runtime import LambdaContext, load_handler\n"
        f"event = {event}\n"
        "try:\n"
        f"    print(json.dumps(load_handler({name!r}).lambda_handler(event, LambdaContext()))[:200])\n"
        "except Exception as exc:\n"
        "    print('raised', type(exc).__name__)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("layers/cord_sync", "local")),
        "POWERTOOLS_DEV": "true",
        "POWERTOOLS_EVENT_HANDLER_DEBUG": "true",
        "POWERTOOLS_LOGGER_LOG_EVENT": "true",
        "POWERTOOLS_LOG_LEVEL": "DEBUG",
    }
    env.pop(secret_env, None)  # not configured: every handler fails closed before any AWS call
    done = subprocess.run(  # noqa: S603 - this interpreter running a script of this test
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip(), done.stderr
    assert MARKER not in done.stdout + done.stderr
