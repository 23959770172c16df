"""Front-door figures for `make bench`: SCIM requests per second and webhook acknowledgement times.

Both run in-process: HTTP API payload-2.0 events straight into the real handlers (functions/scim,
functions/webhooks) of one warm container, with moto in-process for DynamoDB, SQS and Secrets Manager.
moto's own cost is inside the figures (a real DynamoDB call costs a few ms of network instead).

SCIM workload, per user, the way Entra ID provisions: match (GET filter userName eq, a miss), create (POST),
update (PATCH replace), read back (GET); then groups: create with no members, then PATCH member adds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import statistics
import time
import uuid
import warnings
from typing import Any

from http_gateway import http_api_event
from lambda_runtime import LambdaContext, load_handler
from local_stack import DEFAULT_OKTA_HOOK_SECRET, DEFAULT_SCIM_TOKEN, DEFAULT_WEBHOOK_SECRET

SCIM_USERS, SCIM_GROUPS, HOOK_CALLS = 300, 10, 300


def _aws_resources() -> dict[str, str]:
    import boto3

    from cord_sync.state import create_table

    secrets = boto3.client("secretsmanager")
    create_table(boto3.client("dynamodb"), "bench-state")
    return {
        "STATE_TABLE_NAME": "bench-state",
        "SYNC_QUEUE_URL": boto3.client("sqs").create_queue(QueueName="bench-sync")["QueueUrl"],
        "SCIM_TOKEN_SECRET_ARN": secrets.create_secret(Name="scim", SecretString=DEFAULT_SCIM_TOKEN)["ARN"],
        "OKTA_HOOK_SECRET_ARN": secrets.create_secret(Name="okta", SecretString=DEFAULT_OKTA_HOOK_SECRET)["ARN"],
        "WEBHOOK_SECRET_ARN": secrets.create_secret(Name="hook", SecretString=DEFAULT_WEBHOOK_SECRET)["ARN"],
    }


class AwsTimer:
    """Adds up the time spent inside AWS API calls (moto, here), so it can be told apart from our own."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0

    def __enter__(self) -> AwsTimer:
        from botocore.client import BaseClient

        self._original = original = BaseClient._make_api_call
        timer = self

        def timed(client: Any, operation: str, params: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                timer.seconds += time.perf_counter() - started
                timer.calls += 1

        BaseClient._make_api_call = timed
        return self

    def __exit__(self, *exc: object) -> None:
        from botocore.client import BaseClient

        BaseClient._make_api_call = self._original


def _empty_queue() -> None:
    """moto's SendMessageBatch slows down as a queue grows: empty it between requests, outside the timing."""
    import os

    import boto3

    sqs, url = boto3.client("sqs"), os.environ["SYNC_QUEUE_URL"]
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)


def scim_throughput(handler: Any) -> dict[str, float]:
    context = LambdaContext(function_name="cord-sync-scim")
    auth = {"Authorization": f"Bearer {DEFAULT_SCIM_TOKEN}", "Content-Type": "application/scim+json"}
    statuses: dict[int, int] = {}
    user_ids: list[str] = []
    spent = 0.0
    count = 0
    aws = AwsTimer()

    def scim(method: str, path: str, body: Any = None) -> dict:
        nonlocal count, spent
        count += 1
        event = http_api_event(method, f"/scim/v2{path}", headers=auth, body=json.dumps(body) if body else None)
        started = time.perf_counter()
        response = handler(event, context)
        spent += time.perf_counter() - started
        statuses[response["statusCode"]] = statuses.get(response["statusCode"], 0) + 1
        if count % 50 == 0:
            before, calls = aws.seconds, aws.calls
            _empty_queue()
            aws.seconds, aws.calls = before, calls
        return response

    handler(http_api_event("GET", "/scim/v2/ServiceProviderConfig"), context)  # warm: imports, table
    with aws:
        for n in range(SCIM_USERS):
            name = f"bench.user{n:04d}@example.com"
            scim("GET", f"/Users?filter=userName%20eq%20%22{name}%22")
            created = scim(
                "POST",
                "/Users",
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "externalId": f"bench{n}",
                    "userName": name,
                    "active": True,
                    "emails": [{"primary": True, "type": "work", "value": name}],
                    "name": {"givenName": "Bench", "familyName": f"User {n}"},
                },
            )
            user_id = json.loads(_body(created))["id"]
            user_ids.append(user_id)
            patch = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "name.givenName", "value": "Benchmark"}],
            }
            scim("PATCH", f"/Users/{user_id}", patch)
            scim("GET", f"/Users/{user_id}")
        for g in range(SCIM_GROUPS):
            group = scim(
                "POST",
                "/Groups",
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": f"Bench {g}"},
            )
            group_id = json.loads(_body(group))["id"]
            for chunk in range(0, len(user_ids), 50):
                members = [{"value": uid} for uid in user_ids[chunk : chunk + 50]]
                scim(
                    "PATCH",
                    f"/Groups/{group_id}",
                    {
                        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "Add", "path": "members", "value": members}],
                    },
                )
    errors = sum(n for status, n in statuses.items() if status >= 400)
    own = max(spent - min(aws.seconds, spent), 1e-9)
    return {
        "requests": count,
        "seconds": spent,
        "per_second": count / spent,
        "own_per_second": count / own,
        "aws_calls": aws.calls,
        "errors": errors,
    }


def _body(response: dict) -> str:
    body = response.get("body") or ""
    return base64.b64decode(body).decode() if response.get("isBase64Encoded") else body


def _okta_delivery(n: int) -> dict:
    return {
        "eventType": "com.okta.event_hook",
        "eventId": str(uuid.uuid4()),
        "eventTime": "2026-12-03T09:00:00.000Z",
        "data": {
            "events": [
                {
                    "uuid": str(uuid.uuid4()),
                    "published": "2026-12-03T09:00:00.000Z",
                    "eventType": "user.lifecycle.create",
                    "outcome": {"result": "SUCCESS"},
                    "target": [
                        {
                            "id": f"00ubench{n:06d}",
                            "type": "User",
                            "alternateId": f"hook{n}@example.com",
                            "displayName": f"Hook {n}",
                        }
                    ],
                }
            ]
        },
    }


def _signed_headers(body: bytes) -> dict[str, str]:
    key = base64.b64decode(DEFAULT_WEBHOOK_SECRET.removeprefix("whsec_"))
    msg_id, stamp = f"msg_{uuid.uuid4().hex}", str(int(time.time()))
    signature = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": stamp,
        "webhook-signature": f"v1,{signature.decode()}",
    }


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[int(len(ordered) * 0.95) - 1] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def webhook_ack_times(handler: Any) -> dict[str, dict[str, float]]:
    context = LambdaContext(function_name="cord-sync-webhooks")
    okta: list[float] = []
    signed: list[float] = []
    bad = 0
    for n in range(HOOK_CALLS):
        body = json.dumps(_okta_delivery(n)).encode()
        event = http_api_event(
            "POST",
            "/webhooks/okta",
            headers={"Authorization": DEFAULT_OKTA_HOOK_SECRET, "Content-Type": "application/json"},
            body=body,
        )
        started = time.perf_counter()
        response = handler(event, context)
        okta.append(time.perf_counter() - started)
        bad += response["statusCode"] >= 300
        _empty_queue()
        canonical = {
            "type": "user.upsert",
            "id": f"evt-{n}",
            "time": "2026-12-03T09:00:00Z",
            "source": "partner.hr",
            "data": {"id": f"hr-{n}", "email": f"hr{n}@example.com"},
        }
        body = json.dumps(canonical).encode()
        event = http_api_event("POST", "/webhooks/events", headers=_signed_headers(body), body=body)
        started = time.perf_counter()
        response = handler(event, context)
        signed.append(time.perf_counter() - started)
        bad += response["statusCode"] >= 300
        _empty_queue()
    return {"okta": _percentiles(okta[1:]), "signed": _percentiles(signed[1:]), "errors": {"count": bad}}


def measure() -> dict[str, Any]:
    """Run both measurements inside moto's in-process mock; returns the figures."""
    import contextlib
    import io
    import os

    from moto import mock_aws

    # The handlers' metrics flush prints EMF lines to stdout (and warns when a request added none): keep the
    # figures readable.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with mock_aws(), contextlib.redirect_stdout(io.StringIO()):
        os.environ.update(_aws_resources())
        scim = load_handler("scim")
        webhooks = load_handler("webhooks")
        return {"scim": scim_throughput(scim.lambda_handler), "hooks": webhook_ack_times(webhooks.lambda_handler)}


def report(figures: dict[str, Any]) -> list[str]:
    scim, hooks = figures["scim"], figures["hooks"]
    okta, signed = hooks["okta"], hooks["signed"]
    return [
        f"SCIM in-process: {scim['requests']:,} requests (Entra-style match/create/patch/read for "
        f"{SCIM_USERS} users, {SCIM_GROUPS} groups with member PATCHes) in {scim['seconds']:.2f} s = "
        f"{scim['per_second']:,.0f} requests/s on one core with moto in-process, "
        f"{scim['own_per_second']:,.0f} requests/s with moto's time inside the {scim['aws_calls']:,} AWS calls "
        "taken out; "
        f"{scim['errors']} errors (Entra requires >= 25/s per tenant; aim 200/s)",
        f"webhook acknowledgement, in-process, {HOOK_CALLS} calls each: Okta hook median "
        f"{okta['median_ms']:.1f} ms, p95 {okta['p95_ms']:.1f} ms, max {okta['max_ms']:.1f} ms; "
        f"signed webhook median {signed['median_ms']:.1f} ms, p95 {signed['p95_ms']:.1f} ms "
        f"(Okta's limit: 3,000 ms); non-2xx answers: {hooks['errors']['count']}",
    ]
