"""`make demo`: the real sync, end to end, on an embedded default.

Starts the Cord emulator and moto's server (Secrets Manager, SQS and DynamoDB on 127.0.0.1), stores the Cord
credentials in a secret, creates the sync queue with its DLQ, sends the scenario in
events/sqs_scenario.json (hires, a team, profile changes, a leaver, malformed messages) through the
queue to the real functions/sync_queue handler. Then it provisions one user over SCIM and sends one Okta
event hook delivery, over real HTTP to the real functions/scim and functions/webhooks handlers (through
the local HTTP API stand-in); what they enqueue is synced the same way. It prints the resulting Cord state.

Against a real or self-hosted Cord server instead of the emulator:

    make demo DEMO_ARGS="--cord-url https://api.cord.com --app-id <uuid> --secret <secret>"

(or CORD_DEMO_URL, CORD_DEMO_APP_ID, CORD_DEMO_SECRET in the environment). That writes the scenario's
users and organizations into that workspace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

from http_gateway import HttpGateway, Route
from lambda_runtime import drain_queue, load_handler
from local_stack import LocalStack

ROOT = Path(__file__).resolve().parents[1]
LOG_FILE = ROOT / "build" / "demo-logs.jsonl"
MAX_RECEIVE_COUNT = 3


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cord-url", default=os.environ.get("CORD_DEMO_URL"), help="a real Cord API URL")
    parser.add_argument("--app-id", default=os.environ.get("CORD_DEMO_APP_ID"))
    parser.add_argument("--secret", default=os.environ.get("CORD_DEMO_SECRET"))
    parser.add_argument("--auth-mode", default="exchange", choices=["exchange", "server_token"])
    parser.add_argument(
        "--cord-era", default="2022", choices=["2022", "2024"], help="which Cord API era the emulator plays"
    )
    parser.add_argument("--scenario", default=str(ROOT / "events" / "sqs_scenario.json"))
    args = parser.parse_args()
    if args.cord_url and not (args.app_id and args.secret):
        parser.error("--cord-url needs --app-id and --secret")
    return args


class ReasonCollector(logging.Handler):
    """Keeps the reason cord-sync logged for each failed record."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.reasons: dict[str, str] = {}

    def emit(self, record: logging.LogRecord) -> None:
        key, reason = getattr(record, "record", None), getattr(record, "reason", None)
        if key and reason:
            self.reasons[key] = reason


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, strict=False)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def main() -> int:
    args = parse_args()
    LOG_FILE.parent.mkdir(exist_ok=True)
    # Local AWS stand-ins only: fake credentials, moto's endpoint for every AWS call.
    stack = LocalStack.start(
        cord_era=args.cord_era,
        cord_url=args.cord_url,
        app_id=args.app_id,
        cord_secret=args.secret,
        auth_mode=args.auth_mode,
        max_receive_count=MAX_RECEIVE_COUNT,
    )
    where = stack.cord_url if stack.emulator is None else f"Cord emulator ({args.cord_era} era) at {stack.cord_url}"
    try:
        return run(args, stack, where)
    finally:
        stack.stop()


def run(args, stack: LocalStack, where: str) -> int:
    import boto3

    sqs = boto3.client("sqs")
    queue_url, emulator = stack.queue_url, stack.emulator

    scenario = json.loads(Path(args.scenario).read_text())["Records"]
    sent: dict[str, str] = {}  # SQS message id -> scenario label
    for record in scenario:
        message_id = sqs.send_message(QueueUrl=queue_url, MessageBody=record["body"])["MessageId"]
        try:
            body = json.loads(record["body"])
            sent[message_id] = f"{body['type']} {body['data'].get('id')} ({body['id']})"
        except (ValueError, KeyError, TypeError):
            sent[message_id] = f"unparseable body {record['body'][:40]!r}"

    handler = load_handler("sync_queue")
    from cord_sync.observability import logger as cord_logger
    from cord_sync.service import default_engine

    collector = ReasonCollector()
    logging.getLogger(cord_logger.name).addHandler(collector)
    with LOG_FILE.open("w") as log, contextlib.redirect_stdout(log):
        for existing in cord_logger.handlers:
            if isinstance(existing, logging.StreamHandler):
                existing.setStream(log)
        invocations = drain_queue(sqs, queue_url, handler.lambda_handler, batch_size=100)
        front_doors = provision_through_front_doors(stack)
        invocations += drain_queue(sqs, queue_url, handler.lambda_handler, batch_size=100)

    engine = default_engine()
    client = engine.client
    requests = client.requests_sent
    authorizes = client.auth.authorize_calls
    dead = stack.dead_letters()

    print(f"cord-sync demo: {len(scenario)} events through SQS to the sync_queue handler, Cord = {where}")
    print("then through the front doors, over HTTP to the real handlers (queued, then synced the same way):")
    for line in front_doors:
        print(f"  {line}")
    print()
    users = sorted(client.list_users(), key=lambda u: str(u["id"]))
    orgs = sorted(client.list_organizations(), key=lambda o: str(o["id"]))
    org_members = {str(o["id"]): [str(m) for m in client.get_organization(o["id"]).get("members", [])] for o in orgs}
    members: dict[str, list[str]] = {}
    for org_id, user_ids in org_members.items():
        for user_id in user_ids:
            members.setdefault(user_id, []).append(org_id)
    print("Cord users")
    print(
        table(
            [
                [
                    u["id"],
                    u.get("name") or "",
                    u.get("email") or "",
                    u.get("status"),
                    ", ".join(members.get(str(u["id"]), [])),
                ]
                for u in users
            ],
            ["id", "name", "email", "status", "organizations"],
        )
    )
    print("\nCord organizations")
    print(
        table(
            [[o["id"], o.get("name") or "", o.get("status"), ", ".join(org_members[str(o["id"])])] for o in orgs],
            ["id", "name", "status", "members"],
        )
    )
    failed_attempts = sum(len(i.failed) for i in invocations)
    print(
        f"\nEvents sent: {len(scenario)}   handler invocations: {len(invocations)}   "
        f"Cord requests by the sync: {requests} (authorize calls: {authorizes})   "
        f"failed record attempts: {failed_attempts} (each failure is retried until maxReceiveCount={MAX_RECEIVE_COUNT})"
    )
    if emulator is not None:
        paths: dict[str, int] = {}
        for entry in emulator.requests:
            if entry.path.startswith("/v1/"):
                name = f"{entry.method} {entry.path} -> {entry.status}"
                paths[name] = paths.get(name, 0) + 1
        print("Requests the emulator saw (the demo's own reads included):")
        for name, count in sorted(paths.items()):
            print(f"  {count:4d}  {name}")
    print(f"\nDead-letter queue: {len(dead)} message(s)")
    for message in dead:
        label = sent.get(message["MessageId"], message["MessageId"])
        reason = collector.reasons.get(message["MessageId"], "see the logs")
        print(f"  - {label}\n    reason: {reason}")
    print(f"\nStructured logs and metrics of every invocation: {LOG_FILE.relative_to(ROOT)}")
    return 0


def provision_through_front_doors(stack: LocalStack) -> list[str]:
    """One user provisioned over SCIM, one Okta event hook delivery: real HTTP to the real handlers."""
    scim, webhooks = load_handler("scim"), load_handler("webhooks")
    routes = [Route("/scim/v2", scim.lambda_handler), Route("/webhooks", webhooks.lambda_handler)]
    lines = []
    with HttpGateway(routes) as gateway:
        body = (ROOT / "events" / "demo_scim_user.json").read_bytes()
        headers = {"Authorization": f"Bearer {stack.scim_token}", "Content-Type": "application/scim+json"}
        status, answer = post(f"{gateway.url}/scim/v2/Users", body, headers)
        lines.append(f"POST /scim/v2/Users ({json.loads(body)['userName']}) -> {status}, SCIM id {answer.get('id')}")
        body = (ROOT / "events" / "demo_okta_hook.json").read_bytes()
        headers = {"Authorization": stack.okta_hook_secret, "Content-Type": "application/json"}
        status, _ = post(f"{gateway.url}/webhooks/okta", body, headers)
        kinds = ", ".join(e["eventType"] for e in json.loads(body)["data"]["events"])
        lines.append(f"POST /webhooks/okta ({kinds}) -> {status}")
    return lines


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310 - local gateway
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local gateway
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {}
    return status, answer if isinstance(answer, dict) else {}


if __name__ == "__main__":
    sys.exit(main())
