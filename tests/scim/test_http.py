"""Auth, routing, content types, sizes and the shape of every error."""

import base64
import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from http_gateway import http_api_event, invoke
from tests.scim.conftest import TOKEN, patch_body, user_body

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


ANY = object()


def assert_error(response, status, scim_type=ANY):
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/scim+json"
    body = response.json()
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    if scim_type is not ANY:
        assert body.get("scimType") == scim_type
    assert body["detail"]
    assert "Traceback" not in response.body.decode()
    return body


def test_service_provider_config_needs_no_token(scim):
    response = scim.get("/ServiceProviderConfig", token=None)
    assert response.status == 200
    config = response.json()
    assert config["patch"]["supported"] is True
    assert config["filter"] == {"supported": True, "maxResults": 1000}
    assert config["etag"]["supported"] is True
    assert config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    assert config["meta"]["location"] == "https://scim.example.com/scim/v2/ServiceProviderConfig"


@pytest.mark.parametrize("path", ["/Users", "/Groups", "/Schemas", "/ResourceTypes", "/Users/x", "/nope"])
def test_everything_else_needs_the_token(scim, path):
    for token in (None, "wrong-token", "", TOKEN + "x"):
        response = scim.get(path, token=token)
        assert_error(response, 401)
        assert response.headers["www-authenticate"] == 'Bearer realm="SCIM"'
    assert scim.get(path, headers={"authorization": f"Basic {TOKEN}"}, token=None).status == 401
    assert scim.get(path, headers={"authorization": f"bearer {TOKEN}"}, token=None).status != 401


def test_rotated_tokens_are_all_accepted(scim, aws):
    boto3.client("secretsmanager").put_secret_value(SecretId=aws.secret_arn, SecretString=f"{TOKEN} new-token-2")
    parameters.clear_caches()
    assert scim.get("/Users", token="new-token-2").status == 200
    assert scim.get("/Users", token=TOKEN).status == 200


def test_no_token_configured_refuses_every_request(scim, monkeypatch, capsys):
    monkeypatch.delenv("SCIM_TOKEN_SECRET_ARN")
    body = assert_error(scim.get("/Users"), 401)
    assert "not configured" in body["detail"]
    assert scim.post("/Users", user_body("x@example.com")).status == 401
    assert scim.get("/ServiceProviderConfig").status == 200
    monkeypatch.setenv("SCIM_TOKEN_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing")
    parameters.clear_caches()
    assert_error(scim.get("/Users"), 401)
    assert TOKEN not in capsys.readouterr().out


def test_unknown_routes_and_methods(scim):
    assert_error(scim.get("/Nope"), 404)
    assert_error(scim.get("/Users/a/b"), 404)
    assert_error(scim.get("/Users/does-not-exist"), 404)
    assert_error(scim.delete("/Groups/does-not-exist"), 404)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = scim.request(method, "/ServiceProviderConfig", {})
        assert_error(response, 405)
        assert response.headers["allow"] == "GET"
    response = scim.request("DELETE", "/Users", None)
    assert_error(response, 405)
    assert response.headers["allow"] == "GET, POST"
    assert_error(scim.post("/Users/abc", user_body("p@example.com")), 405)
    assert_error(scim.get("/Bulk"), 501)
    assert_error(scim.get("/Me"), 501)
    assert_error(scim.get("/Schemas?filter=id pr"), 403)


def test_paths_are_lenient(scim_app, aws):
    headers = {"authorization": f"Bearer {TOKEN}", "host": "api.example.com"}
    for path in ("/prod/scim/v2/Users", "/scim/v2/Users/", "/SCIM/V2/users", "/scim/v2/Users.scim"):
        response = invoke(scim_app.lambda_handler, http_api_event("GET", path, headers=headers))
        assert response.status == 200, path
    staged = invoke(
        scim_app.lambda_handler,
        http_api_event("GET", "/prod/scim/v2/ServiceProviderConfig", headers={"host": "api.example.com"}),
    )
    assert staged.json()["meta"]["location"] == "https://api.example.com/prod/scim/v2/ServiceProviderConfig"


def test_discovery(scim):
    types = scim.get("/ResourceTypes").json()
    assert {r["id"]: r["endpoint"] for r in types["Resources"]} == {"User": "/Users", "Group": "/Groups"}
    user_type = scim.get("/ResourceTypes/User").json()
    assert user_type["schemaExtensions"] == [
        {"schema": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "required": False}
    ]
    enterprise = scim.get("/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Aextension%3Aenterprise%3A2.0%3AUser").json()
    assert "employeeNumber" in {a["name"] for a in enterprise["attributes"]}
    assert_error(scim.get("/Schemas/urn:nope"), 404)
    assert_error(scim.get("/ResourceTypes/Nope"), 404)


def test_content_types(scim):
    for n, content_type in enumerate(
        ("application/scim+json", "application/json", "Application/SCIM+json; charset=utf-8")
    ):
        response = scim.post("/Users", user_body(f"ct{n}@example.com"), content_type=content_type)
        assert response.status == 201, content_type
    for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
        assert_error(scim.post("/Users", user_body("ct@example.com"), content_type=content_type), 415)
    # no Content-Type at all: JSON is the default (RFC 7644 §3.8)
    assert scim.post("/Users", user_body("none@example.com"), content_type=None).status == 201


def test_malformed_bodies_are_invalid_syntax(scim):
    user_id = scim.post("/Users", user_body("mb@example.com")).json()["id"]
    for raw in ('{"userName": ', "not json", "[" * 100000 + "]" * 100000, ""):
        assert_error(scim.request("POST", "/Users", raw=raw or " "), 400, "invalidSyntax")
        assert_error(scim.request("PATCH", f"/Users/{user_id}", raw=raw or " "), 400, "invalidSyntax")
    response = scim.request("POST", "/Users", raw="\xff\xfe garbage")
    assert response.status == 400


def test_invalid_resources_are_400(scim):
    assert_error(scim.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}), 400)
    assert_error(scim.post("/Users", [1, 2]), 400)
    assert_error(scim.post("/Users", {**user_body("e@example.com"), "emails": "not a list"}), 400, "invalidValue")
    assert_error(scim.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}), 400)
    unknown = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "displayName": "G",
        "members": [{"value": "no-such-user"}],
    }
    assert_error(scim.post("/Groups", unknown), 400, "invalidValue")
    user_id = scim.post("/Users", user_body("p@example.com")).json()["id"]
    assert_error(scim.patch(f"/Users/{user_id}", {"Operations": "nope"}), 400)
    assert_error(scim.patch(f"/Users/{user_id}", patch_body({"op": "explode", "path": "title"})), 400)
    assert_error(scim.patch(f"/Users/{user_id}", patch_body({"op": "remove", "path": "userName"})), 400)
    assert_error(scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "path": "nope[", "value": 1})), 400)


def test_body_size_limit(scim):
    big = json.dumps({**user_body("big@example.com"), "title": "x" * (1024 * 1024)})
    assert_error(scim.request("POST", "/Users", raw=big), 413)
    # base64-encoded bodies (as the HTTP API sends application/scim+json) are measured decoded
    event = http_api_event(
        "POST",
        "/scim/v2/Users",
        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/scim+json"},
        body=json.dumps(user_body("b64@example.com")),
    )
    assert event["isBase64Encoded"] is True
    assert invoke(scim.handler, event).status == 201
    event["body"] = base64.b64encode(big.encode()).decode()
    assert_error(invoke(scim.handler, event), 413)
    event["body"] = "%%%not-base64"
    assert_error(invoke(scim.handler, event), 400, "invalidSyntax")


def test_misconfiguration_is_a_503_that_names_the_setting(scim, monkeypatch):
    user_id = scim.post("/Users", user_body("cfg@example.com")).json()["id"]
    cases = [
        ("SCIM_GROUPS", "some", "SCIM_GROUPS"),
        ("SCIM_USER_ID_SOURCE", "email", "SCIM_USER_ID_SOURCE"),
        ("SCIM_GROUP_ID_SOURCE", "name", "SCIM_GROUP_ID_SOURCE"),
    ]
    for name, value, named in cases:
        monkeypatch.setenv(name, value)
        body = assert_error(scim.get(f"/Users/{user_id}"), 503)
        assert named in body["detail"]
        monkeypatch.delenv(name)
    monkeypatch.setenv("SCIM_GROUPS", "matching")
    assert "SCIM_GROUP_PATTERN" in assert_error(scim.get("/Users"), 503)["detail"]
    monkeypatch.setenv("SCIM_GROUP_PATTERN", "([")
    assert "SCIM_GROUP_PATTERN" in assert_error(scim.get("/Users"), 503)["detail"]
    monkeypatch.setenv("SCIM_GROUPS", "none")
    assert "SCIM_DEFAULT_ORGANIZATION_ID" in assert_error(scim.get("/Users"), 503)["detail"]
    monkeypatch.delenv("SCIM_GROUPS")
    monkeypatch.delenv("STATE_TABLE_NAME")
    assert "STATE_TABLE_NAME" in assert_error(scim.get("/Users"), 503)["detail"]


def test_queue_failure_after_a_stored_change_is_a_503(scim, aws, monkeypatch):
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url + "-gone")
    body = assert_error(scim.post("/Users", user_body("q@example.com")), 503)
    assert "stored" in body["detail"]
    # the user is stored: the IdP's retry finds it and its next PATCH re-sends it
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url)
    user = scim.get('/Users?filter=userName eq "q@example.com"').json()["Resources"][0]
    assert (
        scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "path": "active", "value": True})).status == 200
    )
    assert [e["type"] for e in aws.events()] == ["user.upsert"]


def test_ids_and_names_beyond_dynamodb_key_limits(scim):
    long = "x" * 2000
    assert_error(scim.get(f"/Users/{long}"), 404)
    assert_error(scim.patch(f"/Users/{long}", patch_body({"op": "add", "path": "title", "value": "t"})), 404)
    for query in ('id eq ""', f'id eq "{long}"', f'userName eq "{long}"'):
        assert scim.get(f"/Users?filter={query}").json()["totalResults"] == 0
    named = user_body(f"{long}@example.com", email="long@example.com")
    assert scim.post("/Users", named).status == 201  # names over 1 KB are hashed into their uniqueness key
    assert scim.post("/Users", {**named, "userName": f"{long.upper()}@example.com"}).status == 409
    assert scim.get(f'/Users?filter=userName eq "{long}@EXAMPLE.com"').json()["totalResults"] == 1
    too_big = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "g" * 500_000}
    assert_error(scim.post("/Groups", too_big), 413)


def test_requests_and_errors_are_counted(scim, capsys):
    capsys.readouterr()
    scim.get("/Users")
    scim.get("/Users/missing")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [line.get("ScimRequests") for line in lines] == [[1.0], [1.0]]
    assert "ScimClientErrors" not in lines[0]
    assert lines[1]["ScimClientErrors"] == [1.0]


def test_lone_surrogates_are_invalid_syntax_not_a_500(scim):
    # "\ud800" is valid JSON text but no Unicode string: DynamoDB (and UTF-8) cannot hold it
    user_id = scim.post("/Users", user_body("s@example.com")).json()["id"]
    raw = '{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "x\\ud800@example.com"}'
    assert_error(scim.request("POST", "/Users", raw=raw), 400, "invalidSyntax")
    assert_error(scim.request("PUT", f"/Users/{user_id}", raw=raw), 400, "invalidSyntax")
    patch = '{"Operations": [{"op": "replace", "path": "displayName", "value": "\\udfff"}]}'
    assert_error(scim.request("PATCH", f"/Users/{user_id}", raw=patch), 400, "invalidSyntax")
    # properly paired surrogates are ordinary characters
    paired = '{"Operations": [{"op": "replace", "path": "displayName", "value": "\\ud83c\\udf89"}]}'
    assert scim.request("PATCH", f"/Users/{user_id}", raw=paired).json()["displayName"] == "\U0001f389"


def test_a_retried_post_after_a_queue_failure_re_sends_the_stored_resource(scim, aws, monkeypatch):
    body = user_body("retry@example.com", external_id="ext-retry")
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url + "-gone")
    assert_error(scim.post("/Users", body), 503)
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url)
    # the IdP retries the same create: still a conflict, but the stored user now reaches the queue
    assert_error(scim.post("/Users", body), 409, "uniqueness")
    stored = scim.get('/Users?filter=userName eq "retry@example.com"').json()["Resources"][0]
    assert [(e["type"], e["data"]["id"]) for e in aws.events()] == [("user.upsert", stored["id"])]
    # another resource taking the name (no or another externalId) re-sends nothing
    for other in (user_body("retry@example.com"), user_body("RETRY@example.com", external_id="someone-else")):
        assert_error(scim.post("/Users", other), 409, "uniqueness")
    assert aws.events() == []
    # groups likewise
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G", "externalId": "g-ext"}
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url + "-gone")
    assert_error(scim.post("/Groups", group), 503)
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url)
    assert_error(scim.post("/Groups", group), 409, "uniqueness")
    assert [e["type"] for e in aws.events()] == ["organization.upsert"]


def test_a_token_that_is_not_text_is_refused_not_a_500(scim):
    for header in ("Bearer \ud800", f"Bearer {TOKEN}\udfff"):
        response = scim.get("/Users", token=None, headers={"authorization": header})
        assert_error(response, 401)


def test_a_retried_group_patch_after_a_queue_failure_re_sends_the_group(scim, aws, monkeypatch):
    user_id = scim.post("/Users", user_body("member@example.com")).json()["id"]
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Retried"}
    group_id = scim.post("/Groups", group).json()["id"]
    aws.events()
    add = patch_body({"op": "Add", "path": "members", "value": [{"value": user_id}]})
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url + "-gone")
    assert_error(scim.patch(f"/Groups/{group_id}", add), 503)
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url)
    # the retry changes nothing stored, but the membership must still reach Cord
    assert scim.patch(f"/Groups/{group_id}", add).status == 200
    assert [(e["type"], e["data"].get("members")) for e in aws.events()] == [("organization.upsert", [user_id])]


def test_a_delete_whose_events_cannot_be_queued_deletes_nothing(scim, aws, monkeypatch):
    user_id = scim.post("/Users", user_body("leaver@example.com")).json()["id"]
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Leavers"}
    group_id = scim.post("/Groups", {**group, "members": [{"value": user_id}]}).json()["id"]
    aws.events()
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url + "-gone")
    assert_error(scim.delete(f"/Users/{user_id}"), 503)
    # still there, so the IdP's retried DELETE deactivates the user in Cord instead of finding nothing (404)
    assert scim.get(f"/Users/{user_id}").status == 200
    monkeypatch.setenv("SYNC_QUEUE_URL", aws.queue_url)
    assert scim.delete(f"/Users/{user_id}").status == 204
    assert [(e["type"], e["data"]) for e in aws.events()] == [
        ("organization.members.remove", {"id": group_id, "users": [user_id]}),
        ("user.deactivate", {"id": user_id}),
    ]
    assert "members" not in scim.get(f"/Groups/{group_id}").json()
    assert scim.get(f"/Users/{user_id}").status == 404


def test_an_unreachable_table_is_a_503_to_retry(scim, monkeypatch):
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    from cord_sync.scim.store import default_store

    config = default_store().client.meta.config  # fails fast inside the function's 15 s
    assert (config.connect_timeout, config.read_timeout, config.retries["total_max_attempts"]) == (1, 2, 3)
    for error in (
        EndpointConnectionError(endpoint_url="https://dynamodb.example"),
        ReadTimeoutError(endpoint_url="https://dynamodb.example"),
    ):

        def unreachable(*args, error=error, **kwargs):
            raise error

        monkeypatch.setattr(default_store().client, "get_item", unreachable)
        response = scim.get("/Users/some-id")
        assert_error(response, 503)
        assert response.headers["retry-after"] == "2"


def test_a_path_or_query_that_is_not_text_is_a_400(scim):
    headers = {"authorization": f"Bearer {TOKEN}"}
    for path, query in (("/scim/v2/Users/x\ud800", ""), ("/scim/v2/Users", 'filter=userName eq "\udfff"')):
        assert_error(
            invoke(scim.handler, http_api_event("GET", path, headers=headers, query=query)), 400, "invalidSyntax"
        )
