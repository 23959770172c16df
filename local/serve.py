"""`make serve`: the front doors on 127.0.0.1 over real HTTP, with the sync worker, moto and the Cord emulator.

HTTP requests become API Gateway HTTP API events for the real handlers (functions/scim, functions/webhooks);
what they enqueue is drained by the real functions/sync_queue handler, as Lambda's SQS poller would, and
lands in the Cord emulator (or a real Cord, with --cord-url). Point scim2-cli, curl or an IdP tunnel at it.

    PORT              listening port (default 3000)
    SCIM_TOKEN        the SCIM bearer token (default local-scim-token)
    OKTA_HOOK_SECRET  the Okta event hook's Authorization value (default local-okta-secret)
    WEBHOOK_SECRET    the Standard Webhooks signing secret, whsec_<base64> (a fixed local default)

Ctrl-C or SIGTERM stops it. Function logs go to build/serve-logs.jsonl (--verbose prints them instead).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from typing import Any

from http_gateway import HttpGateway, Route
from lambda_runtime import ROOT, drain_queue, load_handler
from local_stack import DEFAULT_OKTA_HOOK_SECRET, DEFAULT_SCIM_TOKEN, DEFAULT_WEBHOOK_SECRET, LocalStack

LOG_FILE = ROOT / "build" / "serve-logs.jsonl"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 3000))
    parser.add_argument("--cord-era", default="2022", choices=["2022", "2024"])
    parser.add_argument("--cord-url", default=os.environ.get("CORD_SERVE_URL"), help="a real Cord API instead")
    parser.add_argument("--app-id", default=os.environ.get("CORD_SERVE_APP_ID"))
    parser.add_argument("--secret", default=os.environ.get("CORD_SERVE_SECRET"))
    parser.add_argument("--poll-interval", type=float, default=0.2, help="seconds between sync-queue polls")
    parser.add_argument("--verbose", action="store_true", help="print the functions' JSON logs")
    args = parser.parse_args(argv)
    if args.cord_url and not (args.app_id and args.secret):
        parser.error("--cord-url needs --app-id and --secret")
    return args


TERMINAL = sys.stdout  # what a person watches; the functions' logs and metrics go to LOG_FILE unless --verbose


def say(line: str) -> None:
    print(line, file=TERMINAL, flush=True)


def describe(body: str) -> str:
    try:
        event = json.loads(body)
        data = event["data"]
        extra = data.get("email") or data.get("name") or ",".join(str(u) for u in data.get("users", [])[:3])
        return f"{event['type']} {data['id']}" + (f" ({extra})" if extra else "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return "an unreadable message"


class SyncWorker(threading.Thread):
    """Lambda's SQS event source mapping for the sync queue, polling until stopped."""

    def __init__(self, stack: LocalStack, handler: Any, interval: float) -> None:
        super().__init__(name="sync-worker", daemon=True)
        self.stack, self.handler, self.interval = stack, handler, interval
        self.stopping = threading.Event()
        self.applied = 0

    def invoke(self, event: dict, context: Any) -> Any:
        response = self.handler(event, context) or {}
        failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
        for record in event["Records"]:
            ok = record["messageId"] not in failed
            self.applied += ok
            say(f"  sync  {'applied' if ok else 'FAILED '} {describe(record['body'])}")
        return response

    def run(self) -> None:
        import boto3

        sqs = boto3.client("sqs")
        while not self.stopping.is_set():
            try:
                invocations = drain_queue(sqs, self.stack.queue_url, self.invoke, batch_size=100, max_invocations=5)
            except Exception as exc:  # keep serving; the next poll retries
                say(f"  sync  worker error: {type(exc).__name__}: {exc}")
                invocations = []
            if not invocations:
                self.stopping.wait(self.interval)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())

    LOG_FILE.parent.mkdir(exist_ok=True)
    log = sys.stdout if args.verbose else LOG_FILE.open("a")
    stack = LocalStack.start(
        cord_era=args.cord_era,
        cord_url=args.cord_url,
        app_id=args.app_id,
        cord_secret=args.secret,
        scim_token=os.environ.get("SCIM_TOKEN") or DEFAULT_SCIM_TOKEN,
        okta_hook_secret=os.environ.get("OKTA_HOOK_SECRET") or DEFAULT_OKTA_HOOK_SECRET,
        webhook_secret=os.environ.get("WEBHOOK_SECRET") or DEFAULT_WEBHOOK_SECRET,
    )
    gateway = worker = None
    try:
        # Loggers bind sys.stdout when they are made and Powertools prints metrics to it on every invocation:
        # point it at the log for as long as the functions run.
        sys.stdout = log
        scim, webhooks, sync_queue = (load_handler(n) for n in ("scim", "webhooks", "sync_queue"))
        access = (lambda line: say(f"  http  {line}")) if not args.verbose else None
        gateway = HttpGateway(
            [
                Route("/scim/v2", scim.lambda_handler, name="cord-sync-scim"),
                Route("/webhooks", webhooks.lambda_handler, name="cord-sync-webhooks"),
            ],
            host=args.host,
            port=args.port,
            access_log=access,
        ).start()
        worker = SyncWorker(stack, sync_queue.lambda_handler, args.poll_interval)
        worker.start()
        base = gateway.url
        cord = f"Cord emulator ({args.cord_era} era)" if stack.emulator is not None else "Cord"
        say("cord-sync is serving its front doors (Ctrl-C or SIGTERM stops it)")
        say(f"  SCIM 2.0         {base}/scim/v2        Authorization: Bearer {stack.scim_token}")
        say(f"  Okta event hook  {base}/webhooks/okta  Authorization: {stack.okta_hook_secret}")
        say(f"  Signed webhooks  {base}/webhooks/events  signing secret: {stack.webhook_secret}")
        state = f"  (state: {stack.cord_url}/_emulator/state)" if stack.emulator is not None else ""
        say(f"  {cord:<16} {stack.cord_url}{state}")
        say(f"  AWS (moto)       {stack.aws_url}   function logs: {'stdout' if args.verbose else LOG_FILE}")
        say(f"READY {base}")
        stopping.wait()
        say("stopping")
        return 0
    finally:
        if worker is not None:
            worker.stopping.set()
            worker.join(timeout=10)
        if gateway is not None:
            gateway.stop()
        stack.stop()
        sys.stdout = TERMINAL
        if log is not TERMINAL:
            log.close()


def wait_for_ready(stream: Any, timeout: float = 60.0) -> tuple[str, list[str]]:
    """Read `make serve` output up to its READY line; returns the base URL and the lines before it (for tests)."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        if line.startswith("READY "):
            return line.split(" ", 1)[1].strip(), seen
        seen.append(line)
    raise RuntimeError("serve did not become ready:\n" + "".join(seen))


if __name__ == "__main__":
    sys.exit(main())
