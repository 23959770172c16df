"""HTTP behaviour: unknown routes, body parsing and limits, envelopes, CORS, keep-alive, internal errors."""

import http.client
import json

import pytest

from cord_emulator import store

pytestmark = pytest.mark.network


class TestUnknownRoutes:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("POST", "/v1/groups"),
            ("PUT", "/v1/groups/g1"),
            ("GET", "/v1/groups/g1/members"),
            ("DELETE", "/v1/users/u1"),
            ("PUT", "/v1/users"),
            ("GET", "/"),
        ],
    )
    def test_express_html_404(self, api, method, path):
        reply = api.request(method, path)

        assert reply.status == 404
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"
        assert f"<pre>Cannot {method} {path}</pre>" in reply.data.decode()


class TestBodies:
    def test_errors_are_json_envelopes(self, api):
        reply = api.get("/v1/users/nobody")

        assert reply.headers["Content-Type"] == "application/json; charset=utf-8"
        assert set(reply.json) == {"error", "message"}

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b'{"email": ', "Unexpected end of JSON input"),
            (b'{"email": }', "Unexpected token } in JSON at position 10"),
            (b'"just a string"', 'Unexpected token " in JSON at position 0'),
            (b"  42", "Unexpected token 4 in JSON at position 2"),
            (b'{"a": NaN}', "Unexpected token N in JSON at position 6"),
        ],
    )
    def test_json_parse_errors_come_before_auth(self, anon, raw, message):
        reply = anon.put("/v1/users/u1", raw=raw, headers={"Content-Type": "application/json"})

        assert (reply.status, *reply.error) == (400, "invalid_request", message)

    @pytest.mark.parametrize("path", ["/v1/users/u1", "/v1/organizations/o1", "/v1/batch"])
    def test_top_level_array_is_invalid_request(self, api, path):
        method = "POST" if path == "/v1/batch" else "PUT"

        reply = api.request(method, path, [])

        assert (reply.status, *reply.error) == (400, "invalid_request", "Invalid request.")

    def test_body_over_10_mb(self, api, emu, app):
        filler = "x" * (10 * 1024 * 1024)
        raw = json.dumps({"users": [{"id": "u1", "email": "a@example.com", "name": filler}]}).encode()

        reply = api.post("/v1/batch", raw=raw, headers={"Content-Type": "application/json"})

        assert (reply.status, *reply.error) == (400, "invalid_request", "request entity too large")
        assert emu.users(app.app_id) == {}
        assert emu.requests[-1].body_size == len(raw)
        assert api.get("/v1/users").status == 200  # the connection (or a new one) still works

    def test_body_just_under_the_limit_is_parsed(self, api, emu, app):
        name = "x" * (10 * 1024 * 1024 - 100)

        reply = api.put("/v1/users/u1", {"email": "a@example.com", "name": name})

        assert reply.status == 200
        assert len(emu.users(app.app_id)["u1"]["name"]) == len(name)

    def test_chunked_request_body(self, emu, app, token):
        connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        headers = {"Authorization": f"Bearer {token(app)}", "Content-Type": "application/json"}
        chunks = iter([b'{"email": "a@exa', b'mple.com"}'])

        connection.request("PUT", "/v1/users/u1", body=chunks, headers=headers, encode_chunked=True)
        reply = connection.getresponse()

        assert (reply.status, json.loads(reply.read())) == (200, {"success": True})
        assert emu.users(app.app_id)["u1"]["email"] == "a@example.com"
        connection.close()


class TestConnection:
    def test_keep_alive_serves_many_requests_on_one_connection(self, emu, app, token):
        connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
        for index in range(5):
            body = json.dumps({"email": f"u{index}@example.com"})
            headers = {"Authorization": f"Bearer {token(app)}", "Content-Type": "application/json"}
            connection.request("PUT", f"/v1/users/u{index}", body=body, headers=headers)
            reply = connection.getresponse()
            assert reply.getheader("Content-Length") == str(len(reply.read()))
            assert reply.getheader("Connection") == "keep-alive"
        connection.close()
        assert len(emu.users(app.app_id)) == 5

    def test_cors(self, api):
        assert api.get("/v1/users").headers["Access-Control-Allow-Origin"] == "*"

        preflight = api.request(
            "OPTIONS", "/v1/users/u1", headers={"Access-Control-Request-Headers": "authorization,content-type"}
        )

        assert preflight.status == 204
        assert preflight.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
        assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]

    def test_head(self, api):
        reply = api.request("HEAD", "/v1/users")

        assert (reply.status, reply.data, reply.headers["Content-Length"]) == (200, b"", "2")


def test_unexpected_exception_is_a_bare_500(api, monkeypatch, capsys):
    def explode(tenant):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(store, "list_users", explode)

    reply = api.get("/v1/users")

    assert (reply.status, reply.json) == (500, {"error": "error", "message": "internal server error"})
    assert b"secret internals" not in reply.data
