"""Run the emulator: ``python -m cord_emulator --port 8787`` (Ctrl-C or SIGTERM stops it)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from cord_emulator.era import DEFAULT_ERA, ERAS
from cord_emulator.server import CordEmulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cord_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8787, help="port to bind, 0 for any free port (default 8787)")
    parser.add_argument("--app-id", help="application id (a UUID); generated when omitted")
    parser.add_argument("--secret", help="application secret; 64 random hex characters when omitted")
    parser.add_argument(
        "--era",
        choices=list(ERAS),
        default=DEFAULT_ERA,
        help="the server to play: 2022 (the 2021-2022 API) or 2024 (the final server) (default 2022)",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every /v1 request (default 0)")
    parser.add_argument(
        "--max-token-age",
        type=int,
        default=None,
        help="maxAge of signed app tokens in seconds (default: the era's, 60 in 2022, 86400 in 2024)",
    )
    parser.add_argument(
        "--access-token-ttl", type=float, default=86400, help="lifetime of minted access JWTs (default 86400)"
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    emulator = CordEmulator(
        host=args.host,
        port=args.port,
        latency=args.latency_ms / 1000,
        max_token_age=args.max_token_age,
        access_token_ttl=args.access_token_ttl,
        era=args.era,
        verbose=args.verbose,
    )
    try:
        app = emulator.add_app(args.app_id, args.secret)
    except ValueError as exc:
        print(f"cord-emulator: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    emulator.start()
    print(f"cord-emulator: listening on {emulator.url} (Cord REST API, {ERAS[emulator.era].title})")
    print(f"CORD_API_URL={emulator.url}")
    print(f"CORD_APP_ID={app.app_id}")
    print(f"CORD_APP_SECRET={app.secret}", flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        emulator.stop()
    print("cord-emulator: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
