"""Authentication: the /v1/authorize exchange, direct server tokens, access tokens, Authorization headers."""

import re
import uuid
from datetime import UTC, datetime

import jwt
import pytest

from cord_emulator import CordEmulator

from .helpers import Ago, Api, sign

pytestmark = pytest.mark.network


def authorize(anon, token):
    return anon.post("/v1/authorize", {"signed_app_token": token})


def string_payload_token() -> str:
    return jwt.PyJWS().encode(b"string payload", "k" * 64, algorithm="HS512")


class TestAuthorizeSuccess:
    def test_returns_access_token_and_iso_expiry(self, anon, app):
        reply = authorize(anon, sign(app))

        assert reply.status == 200
        assert set(reply.json) == {"access_token", "expires"}
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", reply.json["expires"])
        expires = datetime.strptime(reply.json["expires"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert abs((expires - datetime.now(UTC)).total_seconds() - 86400) < 5

    def test_access_token_is_an_hs512_session_jwt(self, anon, app):
        access_token = authorize(anon, sign(app)).json["access_token"]

        assert jwt.get_unverified_header(access_token)["alg"] == "HS512"
        claims = jwt.decode(access_token, options={"verify_signature": False})
        assert set(claims) == {"session_id", "iat", "exp"}
        assert uuid.UUID(claims["session_id"])
        assert claims["exp"] - claims["iat"] == 86400

    def test_other_claims_are_accepted(self, anon, app):
        assert authorize(anon, sign(app, foo="bar")).status == 200

    def test_exp_is_optional_and_has_30s_tolerance(self, anon, app):
        assert authorize(anon, sign(app, exp=None)).status == 200
        assert authorize(anon, sign(app, exp=Ago(20))).status == 200

    def test_uppercase_app_id_finds_the_app(self, anon, app):
        assert authorize(anon, sign(app, app_id=app.app_id.upper())).status == 200


class TestAuthorizeErrorsInOrder:
    """The rows of cord-api.md §2.1, era names (invalid_app_token, application_not_found)."""

    @pytest.mark.parametrize(
        ("body", "status", "error", "message"),
        [
            ([], 400, "invalid_request", "Invalid request."),
            ({}, 400, "missing_field", "Missing required field: signed_app_token."),
            ({"field_1": "x"}, 400, "missing_field", "Missing required field: signed_app_token."),
            (
                {"foo": "bar", "signed_app_token": "baz"},
                400,
                "unexpected_field",
                "foo is not a valid field name for this request. Expected 1 required field: signed_app_token.",
            ),
            (
                {"signed_app_token": "wrong type of value"},
                400,
                "invalid_field",
                "Input type for signed_app_token is not valid, expected JWT.",
            ),
            (
                {"signed_app_token": 1},
                400,
                "invalid_field",
                "Input type for signed_app_token is not valid, expected JWT.",
            ),
            (
                {"signed_app_token": None},
                400,
                "invalid_field",
                "Input type for signed_app_token is not valid, expected JWT.",
            ),
        ],
    )
    def test_body_rows(self, anon, body, status, error, message):
        reply = anon.post("/v1/authorize", body)

        assert (reply.status, *reply.error) == (status, error, message)

    def test_empty_request(self, anon):
        reply = anon.post("/v1/authorize")

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required field: signed_app_token.")

    def test_payload_not_an_object(self, anon):
        reply = authorize(anon, string_payload_token())

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "Input type for signed_app_token payload is not valid, expected object.",
        )

    def test_missing_app_id(self, anon):
        reply = authorize(anon, jwt.encode({"property_one": "x"}, "k" * 64, algorithm="HS512"))

        assert (reply.status, *reply.error) == (401, "invalid_app_token", "signed_app_token payload is missing app_id.")

    @pytest.mark.parametrize("app_id", ["this is not a valid UUID", 32])
    def test_app_id_not_a_uuid(self, anon, app_id):
        reply = authorize(anon, jwt.encode({"app_id": app_id}, "k" * 64, algorithm="HS512"))

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "Input type for app_id is not valid, expected UUID.",
        )

    @pytest.mark.parametrize("claim", ["user_id", "org_id"])
    def test_user_or_org_claims_rejected_before_the_app_lookup(self, anon, claim):
        reply = authorize(anon, sign(None, **{claim: "123"}))

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "signed_app_token payload invalid, must contain only app_id",
        )

    def test_unknown_app_is_checked_before_the_signature(self, anon):
        reply = authorize(anon, sign(None, secret="not the secret"))

        assert (reply.status, *reply.error) == (401, "application_not_found", "Platform application not found.")

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"secret": "random secret"}, "JsonWebTokenError: invalid signature"),
            ({"algorithm": "HS256"}, "JsonWebTokenError: invalid algorithm"),
            ({"exp": Ago(40)}, "TokenExpiredError: jwt expired"),
            ({"iat": Ago(91), "exp": None}, "TokenExpiredError: maxAge exceeded"),
            ({"iat": None}, "JsonWebTokenError: iat required when maxAge is specified"),
        ],
        ids=["wrong-signature", "hs256", "expired", "too-old", "no-iat"],
    )
    def test_verification_failures(self, anon, app, overrides, message):
        reply = authorize(anon, sign(app, **overrides))

        assert (reply.status, *reply.error) == (401, "invalid_app_token", message)

    def test_iat_within_max_age_plus_tolerance_is_accepted(self, anon, app):
        assert authorize(anon, sign(app, iat=Ago(85), exp=None)).status == 200


class TestServerToken:
    def test_server_token_authenticates(self, api, emu):
        reply = api.get("/v1/users")

        assert (reply.status, reply.json) == (200, [])
        assert emu.requests[-1].auth == "server_token"

    def test_no_exp_is_fine(self, anon, app):
        assert anon.get("/v1/users", auth=f"Bearer {sign(app, exp=None)}").status == 200

    @pytest.mark.parametrize(
        "claim", [{"foo": 1}, {"nbf": Ago(0)}, {"iss": "me"}, {"project_id": str(uuid.uuid4())}, {"user_id": "u"}]
    )
    def test_any_other_claim_is_rejected(self, anon, app, claim):
        reply = anon.get("/v1/users", auth=f"Bearer {sign(app, **claim)}")

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "Authorization token payload invalid, must contain only app_id.",
        )

    @pytest.mark.parametrize(
        ("token_factory", "error", "message"),
        [
            (
                lambda app: string_payload_token(),
                "invalid_app_token",
                "Input type for Authorization token is not valid, expected object.",
            ),
            (
                lambda app: sign(app, app_id=None),
                "invalid_app_token",
                "Please include the app_id if you are authorizing directly with a non-Cord signed token.",
            ),
            (
                lambda app: sign(app, app_id="not-a-uuid"),
                "invalid_app_token",
                "Input type for app_id is not valid, expected UUID.",
            ),
            (lambda app: sign(None, secret="other"), "application_not_found", "Platform application not found."),
            (lambda app: sign(app, secret="other"), "invalid_app_token", "JsonWebTokenError: invalid signature"),
            (lambda app: sign(app, algorithm="HS256"), "invalid_app_token", "JsonWebTokenError: invalid algorithm"),
            (lambda app: sign(app, exp=Ago(40)), "invalid_app_token", "TokenExpiredError: jwt expired"),
            (lambda app: sign(app, iat=Ago(100), exp=None), "invalid_app_token", "TokenExpiredError: maxAge exceeded"),
            (
                lambda app: sign(app, iat=None),
                "invalid_app_token",
                "JsonWebTokenError: iat required when maxAge is specified",
            ),
        ],
        ids=[
            "not-object",
            "no-app-id",
            "bad-uuid",
            "unknown-app",
            "signature",
            "hs256",
            "expired",
            "too-old",
            "no-iat",
        ],
    )
    def test_rejections(self, anon, app, token_factory, error, message):
        reply = anon.post("/v1/batch", {}, auth=f"Bearer {token_factory(app)}")

        assert (reply.status, *reply.error) == (401, error, message)


class TestAccessToken:
    def test_access_token_authenticates(self, session_api, emu):
        reply = session_api.get("/v1/users")

        assert reply.status == 200
        assert emu.requests[-1].auth == "access_token"

    def test_revoked(self, session_api, emu):
        emu.revoke_access_tokens()

        reply = session_api.get("/v1/users")

        assert (reply.status, *reply.error) == (401, "expired_access_token", "Access token has been revoked.")

    def test_session_expired(self, session_api, emu):
        emu.expire_access_tokens()

        reply = session_api.get("/v1/users")

        assert (reply.status, *reply.error) == (401, "expired_access_token", "Access token has expired.")

    def test_session_gone_after_reset(self, session_api, emu):
        emu.reset()

        reply = session_api.get("/v1/users")

        assert (reply.status, *reply.error) == (401, "invalid_access_token", "No valid session found.")

    def test_token_signed_by_someone_else_falls_through_to_the_server_token_path(self, anon):
        forged = jwt.encode({"session_id": str(uuid.uuid4())}, "wrong secret " * 5, algorithm="HS512")

        reply = anon.get("/v1/users", auth=f"Bearer {forged}")

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "Please include the app_id if you are authorizing directly with a non-Cord signed token.",
        )

    def test_expired_access_jwt_quirk(self, pool):
        """Once the access JWT itself has expired it is no longer Cord-signed: 401 invalid_app_token."""
        with CordEmulator(access_token_ttl=0) as emulator:
            app = emulator.add_app()
            anon = Api(pool, emulator.url)
            access_token = authorize(anon, sign(app)).json["access_token"]

            reply = anon.get("/v1/users", auth=f"Bearer {access_token}")

        assert (reply.status, *reply.error) == (
            401,
            "invalid_app_token",
            "Please include the app_id if you are authorizing directly with a non-Cord signed token.",
        )


class TestAuthorizationHeader:
    def test_missing(self, anon):
        reply = anon.get("/v1/users")

        assert (reply.status, *reply.error) == (
            401,
            "missing_authorization_header",
            "Authorization header bearer token must be present.",
        )

    @pytest.mark.parametrize("header", ["bearer abc.def.ghi", "Token abc.def.ghi", "BEARER abc.def.ghi"])
    def test_without_case_sensitive_bearer_prefix(self, anon, header):
        reply = anon.get("/v1/users", auth=header)

        assert (reply.status, *reply.error) == (
            401,
            "invalid_authorization_header",
            "Expecting a token with a Bearer prefix.",
        )

    @pytest.mark.parametrize(
        "header", ["Bearer invalid token", "Bearer", "Bearer a.b", "Bearer a.b.c.d", "Bearer a+b.c.d"]
    )
    def test_not_a_jwt(self, anon, header):
        reply = anon.get("/v1/users", auth=header)

        assert (reply.status, *reply.error) == (
            401,
            "invalid_authorization_header",
            "Input type for authorization header bearer token is not valid, expected JWT.",
        )

    def test_token_is_trimmed(self, anon, app):
        assert anon.get("/v1/users", auth=f"Bearer   {sign(app)}  ").status == 200

    def test_unknown_routes_answer_404_before_auth(self, anon):
        assert anon.post("/v1/groups").status == 404


def test_data_is_per_application(pool):
    with CordEmulator() as emulator:
        first, second = emulator.add_app(), emulator.add_app()
        for app in (first, second):
            Api(pool, emulator.url, sign(app)).put(f"/v1/users/only-{app.app_id[:4]}", {"email": "a@b.co"})

        assert list(emulator.users(first.app_id)) == [f"only-{first.app_id[:4]}"]
        assert list(emulator.users(second.app_id)) == [f"only-{second.app_id[:4]}"]
        assert list(emulator.users()) == [f"only-{second.app_id[:4]}"]  # default: the application added last
        assert {record.app_id for record in emulator.requests} == {first.app_id, second.app_id}


def test_add_app_rejects_bad_and_duplicate_ids():
    emulator = CordEmulator()
    app = emulator.add_app(secret="s3cret")

    assert (app.secret, len(app.app_id)) == ("s3cret", 36)
    assert re.fullmatch(r"[0-9a-f]{64}", emulator.add_app().secret)
    with pytest.raises(ValueError, match="UUID"):
        emulator.add_app("not-a-uuid")
    with pytest.raises(ValueError, match="already exists"):
        emulator.add_app(app.app_id)
