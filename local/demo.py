"""`make demo`: the real sync, end to end, on an embedded default.

Starts the Cord emulator and moto's server (Secrets Manager and SQS on 127.0.0.1), stores the Cord
credentials in a secret, creates the sync queue with its DLQ, sends the scenario in
events/sqs_scenario.json (hires, a team, profile changes, a leaver, malformed messages) through the
queue to the real functions/sync_queue handler, and prints the resulting Cord state.

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
from pathlib import Path

from lambda_runtime import create_cord_secret, drain_queue, load_handler, use_local_aws

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
    use_local_aws(
        POWERTOOLS_SERVICE_NAME="cord-sync", POWERTOOLS_METRICS_NAMESPACE="CordSyncDemo", POWERTOOLS_LOG_LEVEL="INFO"
    )
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server would log every AWS call

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"

    emulator = None
    if args.cord_url:
        cord_url, app_id, secret, where = args.cord_url.rstrip("/"), args.app_id, args.secret, args.cord_url
    else:
        from cord_emulator import CordEmulator

        emulator = CordEmulator(host="127.0.0.1", port=0, era=args.cord_era)
        app = emulator.add_app()
        emulator.start()
        cord_url, app_id, secret, where = (
            emulator.url,
            app.app_id,
            app.secret,
            f"Cord emulator ({args.cord_era} era) at {emulator.url}",
        )

    try:
        return run(args, cord_url, app_id, secret, where, emulator)
    finally:
        if emulator is not None:
            emulator.stop()
        moto.stop()


def run(args, cord_url, app_id, secret, where, emulator) -> int:
    import boto3

    sqs = boto3.client("sqs")
    secret_arn = create_cord_secret(app_id, secret)
    dlq_url = sqs.create_queue(QueueName="cord-sync-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName="cord-sync-queue",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)})
        },
    )["QueueUrl"]
    os.environ.update(CORD_API_URL=cord_url, CORD_SECRET_ARN=secret_arn, CORD_AUTH_MODE=args.auth_mode)

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

    engine = default_engine()
    client = engine.client
    requests = client.requests_sent
    authorizes = client.auth.authorize_calls
    dead = []
    while got := sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
        "Messages", []
    ):
        for message in got:
            dead.append(message)
            sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])

    print(f"cord-sync demo: {len(scenario)} events through SQS to the sync_queue handler, Cord = {where}\n")
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


if __name__ == "__main__":
    sys.exit(main())
