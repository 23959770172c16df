"""SCIM tests: the real handler behind the local HTTP gateway, moto (in-process) for DynamoDB, SQS and the token."""

import itertools
import json

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from cord_sync.publish import reset_publisher
from cord_sync.scim.config import ENV_NAMES
from cord_sync.scim.store import reset_store
from cord_sync.state import create_table
from http_gateway import HttpGateway, Route, http_api_event, invoke
from lambda_runtime import load_handler

TOKEN = "scim-test-token-0123456789"
TABLE = "cord-sync-state"
SCIM_ENV = ENV_NAMES  # the settings each test starts without


@pytest.fixture(scope="session")
def scim_app():
    return load_handler("scim")


class Aws:
    """The mocked account of one test: its own table, sync queue and token secret (names unique per test)."""

    def __init__(self, n: int) -> None:
        self.dynamodb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.table = f"{TABLE}-{n}"
        create_table(self.dynamodb, self.table)
        self.queue_url = self.sqs.create_queue(QueueName=f"cord-sync-queue-{n}")["QueueUrl"]
        self.secret_arn = boto3.client("secretsmanager").create_secret(Name=f"cord-sync/scim-{n}", SecretString=TOKEN)[
            "ARN"
        ]

    def events(self) -> list[dict]:
        """Receive (and delete) every canonical event on the sync queue, in send order."""
        found = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return found
            for message in got:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


@pytest.fixture(scope="module")
def mocked_aws():
    """One moto context per test module (starting moto costs ~0.4 s); each test gets fresh resources in it."""
    with mock_aws():
        yield itertools.count()


def use_account(mp, account: Aws) -> None:
    """Point the handler at `account` (through the monkeypatch `mp`) and drop cached clients and secrets."""
    for name in SCIM_ENV:
        mp.delenv(name, raising=False)
    mp.setenv("STATE_TABLE_NAME", account.table)
    mp.setenv("SYNC_QUEUE_URL", account.queue_url)
    mp.setenv("SCIM_TOKEN_SECRET_ARN", account.secret_arn)
    forget_clients()


def forget_clients() -> None:
    reset_store()
    reset_publisher()
    parameters.clear_caches()


@pytest.fixture
def aws(mocked_aws, monkeypatch):
    account = Aws(next(mocked_aws))
    use_account(monkeypatch, account)
    yield account
    forget_clients()


class Scim:
    """Calls the handler in-process with HTTP API events (no sockets); answers are HttpResponse."""

    def __init__(self, handler) -> None:
        self.handler = handler

    def request(
        self, method, path, body=None, *, token=TOKEN, headers=None, content_type="application/scim+json", raw=None
    ):
        all_headers = {"host": "scim.example.com"}
        if token is not None:
            all_headers["authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None and content_type:
            all_headers["content-type"] = content_type
        all_headers.update(headers or {})
        return invoke(self.handler, http_api_event(method, "/scim/v2" + path, headers=all_headers, body=data))

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body, **kw):
        return self.request("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


@pytest.fixture
def scim(aws, scim_app):
    return Scim(scim_app.lambda_handler)


@pytest.fixture
def gateway(aws, scim_app):
    with HttpGateway([Route("/scim/v2", scim_app.lambda_handler, name="scim")]) as gw:
        yield gw


USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def user_body(user_name, *, email=None, external_id=None, active=True, **extra):
    body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": active}
    if email is not False:
        body["emails"] = [{"primary": True, "type": "work", "value": email or user_name}]
    if external_id:
        body["externalId"] = external_id
    body.update(extra)
    return body


def group_body(display_name, members=(), **extra):
    body = {"schemas": [GROUP_SCHEMA], "displayName": display_name, **extra}
    if members:
        body["members"] = [{"value": m} for m in members]
    return body


def patch_body(*operations):
    return {"schemas": [PATCH_SCHEMA], "Operations": list(operations)}
