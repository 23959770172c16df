"""The local HTTP API stand-in: real requests become payload-2.0 events, answers go back as HTTP."""

import base64
import json
import urllib.error
import urllib.request

import pytest

from http_gateway import HttpGateway, Route, http_api_event, invoke

pytestmark = pytest.mark.network


def echo(event, context):
    raw = base64.b64decode(event["body"]) if event.get("isBase64Encoded") else (event.get("body") or "").encode()
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Function": context.function_name},
        "cookies": ["a=1"],
        "body": json.dumps({"event": {k: v for k, v in event.items() if k != "body"}, "raw": raw.decode()}),
    }


def boom(event, context):
    raise RuntimeError("secret internals")


def request(url, method="GET", body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def gateway():
    with HttpGateway([Route("/scim/v2", echo, name="scim"), Route("/boom", boom)]) as gw:
        yield gw


def test_request_becomes_a_payload_2_event(gateway):
    status, headers, body = request(
        gateway.url + "/scim/v2/Users?filter=userName%20eq%20%22a%22&count=2&count=3",
        "PATCH",
        b'{"op": 1}',
        {"Content-Type": "application/scim+json", "X-Two": "b", "Cookie": "c=1; d=2"},
    )
    assert status == 201 and headers["X-Function"] == "scim" and headers["set-cookie"] == "a=1"
    answer = json.loads(body)
    event = answer["event"]
    assert event["version"] == "2.0" and event["rawPath"] == "/scim/v2/Users"
    assert event["requestContext"]["http"]["method"] == "PATCH"
    assert event["queryStringParameters"] == {"filter": 'userName eq "a"', "count": "2,3"}
    assert event["headers"]["x-two"] == "b" and event["cookies"] == ["c=1", "d=2"]
    assert event["isBase64Encoded"] is True  # application/scim+json is not a text type for an HTTP API
    assert answer["raw"] == '{"op": 1}'


def test_unknown_path_and_failing_handler_answer_like_api_gateway(gateway):
    assert request(gateway.url + "/scimx")[0::2] == (404, b'{"message":"Not Found"}')
    status, _, body = request(gateway.url + "/boom/x", "POST", b"{}", {"Content-Type": "application/json"})
    assert (status, body) == (500, b'{"message":"Internal Server Error"}')


def test_json_bodies_stay_text_and_plain_results_become_200():
    event = http_api_event("POST", "/w?x=1", headers={"Content-Type": "application/json"}, body='{"a":1}')
    assert (event["body"], event["isBase64Encoded"], event["rawQueryString"]) == ('{"a":1}', False, "x=1")
    response = invoke(lambda e, c: {"ok": True}, event)
    assert (response.status, response.json()) == (200, {"ok": True})
