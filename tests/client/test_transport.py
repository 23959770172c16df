"""The HTTP layer against the emulator's fault injection: retries, Retry-After, dropped connections, budget."""

import time

import pytest

from cord_emulator import Fault
from cord_sync.errors import InvalidRequestError, NotFoundError, RateLimitedError, ServerError, TransportError
from cord_sync.http import Deadline, RetryPolicy
from tests.conftest import era_error, make_client


def batch_calls(emulator):
    return [r for r in emulator.requests if r.path == "/v1/batch"]


def test_5xx_is_retried_then_succeeds(cord, client):
    emulator, app = cord
    emulator.inject(Fault(path=r"^/v1/batch$", method="POST", kind="status", status=503, count=2))
    client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert [r.status for r in batch_calls(emulator)] == [503, 503, 200]
    assert "u1" in emulator.users(app.app_id)
    assert client.requests_sent == 2  # authorize + one logical batch request


def test_5xx_exhausting_the_retries_raises_a_retryable_server_error(cord, client):
    emulator, _ = cord
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=502, count=None))
    with pytest.raises(ServerError) as info:
        client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert info.value.retryable and info.value.status == 502
    assert len(batch_calls(emulator)) == 4  # first try + 3 retries


def test_429_honours_retry_after(cord, client):
    emulator, _app = cord
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=429, count=1, retry_after="1"))
    started = time.monotonic()
    client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert time.monotonic() - started >= 0.9
    assert [r.status for r in batch_calls(emulator)] == [429, 200]


def test_retry_after_is_capped(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, retry=RetryPolicy(max_retries=2, backoff_factor=0, retry_after_max=0.2))
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=429, count=1, retry_after="3600"))
    started = time.monotonic()
    client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert time.monotonic() - started < 2


def test_429_without_retry_after_backs_off_and_gives_up_as_rate_limited(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, retry=RetryPolicy(max_retries=2, backoff_factor=0.01, backoff_jitter=0))
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=429, count=None))
    with pytest.raises(RateLimitedError) as info:
        client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert info.value.retryable


def test_dropped_connection_is_retried(cord, client):
    emulator, app = cord
    emulator.inject(Fault(path=r"^/v1/batch$", kind="drop", count=1))
    client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert "u1" in emulator.users(app.app_id)


def test_dropped_connections_every_time_raise_a_transport_error(cord, client):
    emulator, _ = cord
    emulator.inject(Fault(path=r"^/v1/batch$", kind="drop", count=None))
    with pytest.raises(TransportError) as info:
        client.batch([{"id": "u1", "email": "u1@example.com"}])
    assert info.value.retryable


def test_slow_response_times_out_into_a_transport_error(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, read_timeout=0.2, retry=RetryPolicy(max_retries=1, backoff_factor=0))
    emulator.inject(Fault(path=r"^/v1/batch$", kind="delay", delay=1.0, count=None))
    with pytest.raises(TransportError, match=r"ReadTimeout|timed out"):
        client.batch([{"id": "u1", "email": "u1@example.com"}])


def test_retries_stop_at_the_deadline(cord):
    emulator, app = cord
    client = make_client(emulator.url, app, retry=RetryPolicy(max_retries=10, backoff_factor=0.5, backoff_jitter=0))
    client.auth.bearer()  # authorize outside the measured window
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=503, count=None))
    started = time.monotonic()
    with pytest.raises(ServerError):
        client.batch([{"id": "u1", "email": "u1@example.com"}], deadline=Deadline.after(1.5))
    assert time.monotonic() - started < 1.5


def test_no_request_starts_past_the_deadline(cord, client):
    emulator, _ = cord
    with pytest.raises(TransportError, match="not started"):
        client.batch([{"id": "u1", "email": "u1@example.com"}], deadline=Deadline.after(0))
    assert batch_calls(emulator) == []


def test_data_errors_are_not_retried_and_keep_the_token(cord, client):
    emulator, _ = cord
    with pytest.raises(InvalidRequestError) as info:
        client.batch(organizations=[{"id": "o1"}])  # a new organization needs a name in every era
    assert info.value.status == 400 and info.value.error in ("missing_field", "invalid_request")
    with pytest.raises(NotFoundError) as info:
        client.update_members("no-such-org", add=["u1"])
    assert info.value.status == 401 and info.value.error == era_error(emulator, "organization_not_found")
    assert len(batch_calls(emulator)) == 1
    assert sum(1 for r in emulator.requests if r.path == "/v1/authorize") == 1


def test_numeric_and_odd_ids_are_quoted_in_paths(cord, client):
    _emulator, _app = cord
    client.upsert_user("a b/c?d", {"email": "odd@example.com"})
    assert client.get_user("a b/c?d")["email"] == "odd@example.com"
