"""`make bench`: cord-sync against a naive per-event client, on the Cord emulator with 5 ms per request.

Workload (seeded, deterministic): 10,000 canonical events in 10 SQS batches of 1,000, delivered to one warm
sync_queue container: user upserts over 2,000 users (with repeats and profile changes), deactivations of
existing users, organization upserts with full member lists over 50 organizations, and incremental
membership adds/removes on organizations that exist. The naive client sends one request per event and
authorizes once per invocation. Prints requests, authorize calls, wall time, events per second, peak
memory of a 10,000-record batch, the handler's cold import against `import boto3`, and the ratios; then the
front doors' figures (bench_frontdoors.py): SCIM requests per second and webhook acknowledgement times.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_frontdoors
from lambda_runtime import LambdaContext, create_cord_secret, load_handler, use_local_aws

ROOT = Path(__file__).resolve().parents[1]
USERS, ORGS, EVENTS, BATCH = 2_000, 50, 10_000, 1_000
LATENCY = 0.005


def workload(seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    t0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    created: list[str] = []
    created_set: set[str] = set()
    orgs_created: list[str] = []
    events = []
    for n in range(EVENTS):
        roll = rng.random()
        if roll < 0.78 or len(created) < 50:
            uid = f"u{rng.randrange(USERS):04d}"
            data = {"id": uid, "email": f"{uid}@example.com", "name": f"User {uid} v{n}"}
            if rng.random() < 0.2:
                data["profile_picture_url"] = f"https://example.com/avatars/{uid}-{n}.png"
            kind = "user.upsert"
            if uid not in created_set:
                created_set.add(uid)
                created.append(uid)
        elif roll < 0.82:
            kind, data = "user.deactivate", {"id": rng.choice(created)}
        elif roll < 0.92 or not orgs_created:
            oid = f"org{rng.randrange(ORGS):02d}"
            data = {
                "id": oid,
                "name": f"Team {oid}",
                "members": rng.sample(created, min(len(created), rng.randint(5, 40))),
            }
            kind = "organization.upsert"
            if oid not in orgs_created:
                orgs_created.append(oid)
        else:
            kind = rng.choice(["organization.members.add", "organization.members.remove"])
            data = {"id": rng.choice(orgs_created), "users": rng.sample(created, rng.randint(1, 3))}
        time_ = (t0 + timedelta(milliseconds=10 * n)).isoformat().replace("+00:00", "Z")
        events.append({"type": kind, "id": f"bench-{n:05d}", "time": time_, "source": "bench", "data": data})
    return events


def sqs_event(events: list[dict], offset: int) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m-{offset + i:05d}",
                "receiptHandle": f"rh-{offset + i}",
                "body": json.dumps(e),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench",
                "awsRegion": "us-east-1",
            }
            for i, e in enumerate(events)
        ]
    }


def naive_apply(client, event: dict) -> None:
    data, kind = event["data"], event["type"]
    fields = {k: v for k, v in data.items() if k != "id"}
    if kind == "user.upsert":
        client.upsert_user(data["id"], fields)
    elif kind == "user.deactivate":
        client.upsert_user(data["id"], {"status": "deleted"})
    elif kind == "organization.upsert":
        client.upsert_organization(data["id"], {"status": "active", **fields})
    elif kind == "organization.deactivate":
        client.upsert_organization(data["id"], {"status": "deleted"})
    elif kind == "organization.members.add":
        client.update_members(data["id"], add=data["users"])
    else:
        client.update_members(data["id"], remove=data["users"])


def median_import_seconds(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "cord_sync"), str(ROOT / "local")])}
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def memory_probe(url: str, secret_arn: str) -> None:
    """Child process, like a Lambda container: boto3 but no moto (Secrets Manager is moto's server in the
    parent, reached through AWS_ENDPOINT_URL). One warm handler takes a 10,000-record batch; prints memory."""
    import tracemalloc

    os.environ.update(CORD_API_URL=url, CORD_SECRET_ARN=secret_arn)
    handler = load_handler("sync_queue")
    event = sqs_event(workload(seed=11), 0)
    rss_before = _peak_rss_mb()
    tracemalloc.start()
    result = handler.lambda_handler(event, LambdaContext(timeout_seconds=900))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = _peak_rss_mb()
    report = {"peak_mb": peak / 2**20, "max_rss_mb": rss, "rss_before_mb": rss_before}
    print(json.dumps({**report, "failures": len(result["batchItemFailures"])}))


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a
    child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_memory(url: str, app_id: str, secret: str) -> dict:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per AWS call
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        secret_arn = create_cord_secret(app_id, secret, name="bench-probe")
        del os.environ["AWS_ENDPOINT_URL"]
        probe = subprocess.run(
            [sys.executable, __file__, "--memory-probe", url, secret_arn],
            capture_output=True,
            text=True,
            check=True,
            env={
                **os.environ,
                "AWS_ENDPOINT_URL": endpoint,
                "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "cord_sync"), str(ROOT / "local")]),
            },
        )
    finally:
        server.stop()
    return json.loads(probe.stdout.strip().splitlines()[-1])


def run_both(emulator, app, batches):
    """The workload through cord-sync (one warm container), then through the naive client, on a clean emulator."""
    os.environ.update(CORD_API_URL=emulator.url, CORD_SECRET_ARN=create_cord_secret(app.app_id, app.secret))

    # cord-sync: one warm container, 10 invocations of 1,000 records
    handler = load_handler("sync_queue")
    emulator.clear_requests()
    started = time.perf_counter()
    failures = 0
    for index, batch in enumerate(batches):
        result = handler.lambda_handler(sqs_event(batch, index * BATCH), LambdaContext(timeout_seconds=900))
        failures += len(result["batchItemFailures"])
    ours_wall = time.perf_counter() - started
    ours_log = [r for r in emulator.requests if r.path.startswith("/v1/")]
    ours_state = (emulator.users(app.app_id), emulator.organizations(app.app_id))

    # naive: one request per event, one authorize per invocation
    from cord_sync.api import CordClient
    from cord_sync.auth import ExchangeAuth
    from cord_sync.http import HttpTransport
    from cord_sync.secrets import StaticCredentials

    emulator.reset()
    naive_failures = 0
    started = time.perf_counter()
    for batch in batches:
        transport = HttpTransport(emulator.url)
        client = CordClient(transport, ExchangeAuth(StaticCredentials(app.app_id, app.secret), transport))
        for event in batch:
            try:
                naive_apply(client, event)
            except Exception:
                naive_failures += 1
    naive_wall = time.perf_counter() - started
    naive_log = [r for r in emulator.requests if r.path.startswith("/v1/")]
    same_state = ours_state == (emulator.users(app.app_id), emulator.organizations(app.app_id))
    return (ours_wall, ours_log, failures), (naive_wall, naive_log, naive_failures, same_state)


def main() -> int:
    use_local_aws(POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
    if len(sys.argv) == 4 and sys.argv[1] == "--memory-probe":
        memory_probe(*sys.argv[2:])
        return 0

    cold_boto3 = median_import_seconds("import boto3")
    cold_handler = median_import_seconds("from lambda_runtime import load_handler; load_handler('sync_queue')")
    cold_scim = median_import_seconds("from lambda_runtime import load_handler; load_handler('scim')", runs=3)
    cold_hooks = median_import_seconds("from lambda_runtime import load_handler; load_handler('webhooks')", runs=3)

    from moto import mock_aws

    from cord_emulator import CordEmulator

    events = workload()
    batches = [events[i : i + BATCH] for i in range(0, EVENTS, BATCH)]
    with CordEmulator(host="127.0.0.1", port=0, latency=LATENCY) as emulator:
        app = emulator.add_app()
        with mock_aws():
            ours, naive = run_both(emulator, app, batches)
        memory = measure_memory(emulator.url, app.app_id, app.secret)
    (ours_wall, ours_log, failures), (naive_wall, naive_log, naive_failures, same_state) = ours, naive

    def count(log, path):
        return sum(1 for r in log if r.path == path)

    ours_req, naive_req = len(ours_log), len(naive_log)
    rows = [
        ("Cord requests", f"{ours_req}", f"{naive_req}", f"{naive_req / ours_req:.0f}x fewer", ">= 100x"),
        (
            "  of which /v1/authorize",
            f"{count(ours_log, '/v1/authorize')}",
            f"{count(naive_log, '/v1/authorize')}",
            "",
            "1 in total",
        ),
        ("  of which /v1/batch", f"{count(ours_log, '/v1/batch')}", f"{count(naive_log, '/v1/batch')}", "", ""),
        ("wall time (s)", f"{ours_wall:.2f}", f"{naive_wall:.2f}", f"{naive_wall / ours_wall:.0f}x less", ">= 20x"),
        ("events per second", f"{EVENTS / ours_wall:,.0f}", f"{EVENTS / naive_wall:,.0f}", "", ""),
        ("records failed", f"{failures}", f"{naive_failures}", "", "0"),
    ]
    print(
        f"cord-sync benchmark: {EVENTS:,} events, {len(batches)} SQS batches of {BATCH:,}, "
        f"emulator +{LATENCY * 1000:.0f} ms/request\n"
    )
    print(f"{'':28}{'cord-sync':>12}{'naive':>12}{'ratio':>16}{'target':>14}")
    for name, ours, naive, ratio, target in rows:
        print(f"{name:28}{ours:>12}{naive:>12}{ratio:>16}{target:>14}")
    print(f"\nfinal Cord state identical for both clients: {same_state}")
    print(
        f"peak memory, one 10,000-record batch: {memory['peak_mb']:.1f} MB traced by tracemalloc "
        f"(a container-like process with boto3, no moto: max RSS {memory['rss_before_mb']:.0f} MB before the "
        f"batch, {memory['max_rss_mb']:.0f} MB after; target < 128 MB)"
    )
    print(
        f"cold import: sync_queue handler {cold_handler * 1000:.0f} ms vs import boto3 {cold_boto3 * 1000:.0f} ms "
        f"= {cold_handler / cold_boto3:.2f}x (target <= 1.5x; median of 7 fresh processes)"
    )
    print(
        f"cold import of the front doors: scim handler {cold_scim * 1000:.0f} ms (scim2-models and pydantic), "
        f"webhooks handler {cold_hooks * 1000:.0f} ms (median of 3 fresh processes)"
    )
    print("\nfront doors")
    for line in bench_frontdoors.report(bench_frontdoors.measure()):
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
