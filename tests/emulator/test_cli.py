"""``python -m cord_emulator``: starts, prints how to reach it, serves, stops cleanly on SIGTERM/SIGINT."""

import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest

from cord_emulator import App

from .helpers import Api, sign

pytestmark = pytest.mark.network

LOCAL = Path(__file__).resolve().parents[2] / "local"


def launch(*args: str) -> tuple[subprocess.Popen, dict[str, str]]:
    """Start the CLI and read its announcement (``KEY=value`` lines) until the secret is printed."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(LOCAL), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(  # noqa: S603 - fixed argv: this interpreter running the emulator
        [sys.executable, "-m", "cord_emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    announced: dict[str, str] = {}
    timer = threading.Timer(10, process.kill)  # never hang the suite on a broken start
    timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            key, _, value = line.strip().partition("=")
            if key.startswith("CORD_"):
                announced[key] = value
            if key == "CORD_APP_SECRET":
                break
    finally:
        timer.cancel()
    assert "CORD_APP_SECRET" in announced, process.stderr.read() if process.stderr else ""
    return process, announced


def stop(process: subprocess.Popen, signum: int) -> str:
    process.send_signal(signum)
    remaining_output, _ = process.communicate(timeout=10)
    return remaining_output


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_serves_the_given_app_until_signalled(pool, signum):
    app_id, secret = str(uuid.uuid4()), "s" * 64
    process, announced = launch("--app-id", app_id, "--secret", secret, "--latency-ms", "1")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", announced["CORD_API_URL"])
        assert (announced["CORD_APP_ID"], announced["CORD_APP_SECRET"]) == (app_id, secret)
        client = Api(pool, announced["CORD_API_URL"], sign(App(app_id, secret)))
        assert client.put("/v1/users/u1", {"email": "a@b.co"}).status == 200
        assert list(client.get("/_emulator/state").json["users"]) == ["u1"]
    finally:
        output = stop(process, signum)

    assert process.returncode == 0
    assert "stopped" in output


def test_generates_an_app_when_none_is_given():
    process, announced = launch()
    try:
        assert uuid.UUID(announced["CORD_APP_ID"]).version == 4
        assert re.fullmatch(r"[0-9a-f]{64}", announced["CORD_APP_SECRET"])
    finally:
        stop(process, signal.SIGTERM)
    assert process.returncode == 0


def test_rejects_a_bad_app_id():
    result = subprocess.run(
        [sys.executable, "-m", "cord_emulator", "--port", "0", "--app-id", "nope"],
        capture_output=True,
        text=True,
        timeout=10,
        env={**os.environ, "PYTHONPATH": str(LOCAL)},
        check=False,
    )

    assert result.returncode == 2
    assert "UUID" in result.stderr
