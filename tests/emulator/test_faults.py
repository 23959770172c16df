"""Injected faults, the request log, global latency and the /_emulator control surface."""

import json
import time

import pytest
import urllib3

from cord_emulator import CordEmulator, Fault

from .helpers import Api, sign

pytestmark = pytest.mark.network


class TestFaults:
    def test_status_fault_affects_count_requests(self, api, emu):
        fault = emu.inject(Fault(path=r"^/v1/batch$", method="POST", kind="status", status=503, count=2))

        replies = [api.post("/v1/batch", {}) for _ in range(3)]

        assert [reply.status for reply in replies] == [503, 503, 200]
        assert replies[0].json == {"error": "error", "message": "service unavailable"}
        assert "Retry-After" not in replies[0].headers
        assert fault.hits == 2 and fault.exhausted
        assert [record.fault for record in emu.requests] == ["status", "status", None]

    def test_500_body_is_the_servers_own(self, api, emu):
        emu.inject(Fault(status=500))

        assert api.get("/v1/users").json == {"error": "error", "message": "internal server error"}

    @pytest.mark.parametrize(("retry_after", "header"), [(3, "3"), (2.0, "2"), ("Wed, 21 Oct 2026 07:28:00 GMT", None)])
    def test_429_with_retry_after(self, api, emu, retry_after, header):
        emu.inject(Fault(status=429, retry_after=retry_after))

        reply = api.get("/v1/users")

        assert reply.status == 429
        assert reply.headers["Retry-After"] == (header or retry_after)
        assert reply.error[0] == "rate_limited"

    def test_429_without_retry_after(self, api, emu):
        emu.inject(Fault(status=429))

        reply = api.get("/v1/users")

        assert reply.status == 429
        assert "Retry-After" not in reply.headers

    def test_method_and_path_filters(self, api, emu):
        emu.inject(Fault(path=r"^/v1/users/", method="put", count=None))

        assert api.get("/v1/users/u1").status == 404
        assert api.post("/v1/batch", {}).status == 200
        assert [api.put("/v1/users/u1", {"email": "a@b.co"}).status for _ in range(3)] == [503, 503, 503]

        emu.clear_faults()
        assert api.put("/v1/users/u1", {"email": "a@b.co"}).status == 200

    def test_delay_then_normal_handling(self, api, emu):
        emu.inject(Fault(kind="delay", delay=0.3))

        started = time.perf_counter()
        reply = api.get("/v1/users")

        assert reply.status == 200
        assert time.perf_counter() - started >= 0.3
        assert emu.requests[-1].duration >= 0.3

    def test_drop_closes_the_connection_without_a_response(self, api, emu, app):
        emu.inject(Fault(path="/v1/users/", kind="drop"))

        with pytest.raises(urllib3.exceptions.ProtocolError):
            api.put("/v1/users/u1", {"email": "a@b.co"})

        record = emu.requests[-1]
        assert (record.status, record.fault) == (None, "drop")
        assert emu.users(app.app_id) == {}
        assert api.put("/v1/users/u1", {"email": "a@b.co"}).status == 200

    def test_reset_drops_faults(self, api, emu):
        emu.inject(Fault(count=None))
        emu.reset()

        assert emu.faults == []
        assert api.get("/v1/users").status == 200

    @pytest.mark.parametrize(
        "kwargs", [{"kind": "teapot"}, {"status": 99}, {"count": -1}, {"delay": -1.0}, {"path": "("}]
    )
    def test_invalid_faults(self, kwargs):
        with pytest.raises(ValueError, match=r"\w"):
            Fault(**kwargs)


class TestRequestLog:
    def test_records(self, api, emu, app):
        emu.clear_requests()
        before = time.time()

        api.put("/v1/users/u1", {"email": "a@b.co"})
        api.get("/v1/users/nobody")

        first, second = emu.requests
        assert (first.method, first.path, first.status, first.error, first.auth) == (
            "PUT",
            "/v1/users/u1",
            200,
            None,
            "server_token",
        )
        assert (first.app_id, first.body_size, first.fault) == (app.app_id, len(b'{"email": "a@b.co"}'), None)
        assert before <= first.started <= second.started and 0 <= first.duration < 1
        assert (second.status, second.error, second.body_size) == (404, "user_not_found", 0)

    def test_failed_auth_has_no_auth_kind(self, anon, emu):
        anon.get("/v1/users")

        assert (emu.requests[-1].auth, emu.requests[-1].error) == (None, "missing_authorization_header")

    def test_clear(self, api, emu):
        api.get("/v1/users")
        emu.clear_requests()

        assert emu.requests == []

    def test_query_string_is_not_part_of_the_path(self, api, emu):
        api.get("/v1/users?limit=5")

        assert emu.requests[-1].path == "/v1/users"


def test_latency_is_added_to_v1_requests_only(pool):
    with CordEmulator(latency=0.05) as emulator:
        app = emulator.add_app()
        client = Api(pool, emulator.url, sign(app))

        started = time.perf_counter()
        for _ in range(3):
            assert client.get("/v1/users").status == 200
        v1_elapsed = time.perf_counter() - started
        started = time.perf_counter()
        client.get("/_emulator/state")
        control_elapsed = time.perf_counter() - started

    assert v1_elapsed >= 0.15
    assert control_elapsed < 0.05


class TestControlSurface:
    def test_state_requests_faults_and_reset(self, api, anon, emu, app):
        api.put("/v1/users/u1", {"email": "a@b.co"})
        api.put("/v1/organizations/o1", {"name": "One", "members": ["u1"]})

        state = anon.get(f"/_emulator/state?app_id={app.app_id}").json
        assert state["users"]["u1"]["organizations"] == ["o1"]
        assert state["organizations"] == {"o1": {"id": "o1", "name": "One", "status": "active", "members": ["u1"]}}
        assert [entry["path"] for entry in anon.get("/_emulator/requests").json] == [
            "/v1/users/u1",
            "/v1/organizations/o1",
        ]

        created = anon.post("/_emulator/faults", {"path": "^/v1/batch$", "status": 429, "retry_after": 1})
        assert (created.status, created.json["kind"], created.json["count"]) == (201, "status", 1)
        assert api.post("/v1/batch", {}).status == 429

        assert anon.post("/_emulator/reset").status == 200
        assert emu.users(app.app_id) == {} and emu.requests == []

    def test_bad_fault_is_400(self, anon):
        reply = anon.post("/_emulator/faults", {"kind": "teapot"})

        assert (reply.status, reply.error[0]) == (400, "invalid_request")
        assert anon.post("/_emulator/faults", {"nope": 1}).status == 400

    def test_tokens_can_be_revoked_over_http(self, anon, session_api):
        assert anon.post("/_emulator/access-tokens/revoke").json["sessions"] == 1

        assert session_api.get("/v1/users").error == ("expired_access_token", "Access token has been revoked.")

    def test_unknown_control_route(self, anon):
        assert anon.get("/_emulator/nothing").status == 404

    def test_control_requests_are_not_logged_nor_faulted(self, anon, emu):
        emu.inject(Fault(count=None))

        assert anon.get("/_emulator/state").status == 200
        assert emu.requests == []
        assert json.loads(anon.get("/_emulator/faults").data)[0]["hits"] == 0
