"""Webhook front door tests: the real handler behind the local HTTP gateway, moto for SQS, secrets, table."""

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from cord_sync.publish import reset_publisher
from cord_sync.state import create_table
from cord_sync.webhooks import door
from http_gateway import HttpGateway, Route
from lambda_runtime import load_handler

OKTA_SECRET = "okta-hook-secret-7f3a9c"
SIGNING_KEY = b"partner-signing-key-of-32-bytes!"
WEBHOOK_SECRET = "whsec_" + base64.b64encode(SIGNING_KEY).decode()
TABLE = "cord-sync-state"


@dataclass
class Stack:
    sqs: Any
    queue_url: str
    dynamodb: Any
    okta_secret_arn: str
    webhook_secret_arn: str

    def messages(self) -> list[dict]:
        """Take every message off the sync queue (bodies decoded)."""
        bodies = []
        while got := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in got:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


def create_resources(*, okta_secret: str = OKTA_SECRET, webhook_secret: str = WEBHOOK_SECRET) -> Stack:
    """The template's resources for the webhook function, in an active moto mock."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="cord-sync-queue")["QueueUrl"]
    secrets = boto3.client("secretsmanager")
    okta_arn = secrets.create_secret(Name="cord-sync/okta-hook", SecretString=okta_secret)["ARN"]
    webhook_arn = secrets.create_secret(Name="cord-sync/webhook-signing", SecretString=webhook_secret)["ARN"]
    dynamodb = boto3.client("dynamodb")
    create_table(dynamodb, TABLE)
    return Stack(sqs, queue_url, dynamodb, okta_arn, webhook_arn)


def configure(monkeypatch, stack: Stack) -> Stack:
    """The webhook function's environment, as the template sets it."""
    for name, value in {
        "SYNC_QUEUE_URL": stack.queue_url,
        "STATE_TABLE_NAME": TABLE,
        "OKTA_HOOK_SECRET_ARN": stack.okta_secret_arn,
        "WEBHOOK_SECRET_ARN": stack.webhook_secret_arn,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OKTA_USER_ID_SOURCE", raising=False)
    monkeypatch.delenv("OKTA_GROUP_ID_SOURCE", raising=False)
    return stack


def put_secret(arn: str, value: str) -> None:
    """Change a secret and refresh Powertools' cache of it (clearing the caches would drop its client too)."""
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=value)
    parameters.get_secret(arn, force_fetch=True)


@pytest.fixture(scope="module")
def aws():
    """One moto mock and one set of resources per module (creating clients and resources is what is slow)."""
    with mock_aws():
        yield create_resources()
    reset_publisher()
    door.reset()
    parameters.clear_caches()


@pytest.fixture
def stack(aws, monkeypatch):
    """The resources with the function's environment and an empty queue."""
    aws.messages()
    return configure(monkeypatch, aws)


@pytest.fixture(scope="session")
def webhooks_app():
    return load_handler("webhooks")


@pytest.fixture(scope="module")
def gateway(webhooks_app):
    with HttpGateway([Route("/webhooks", webhooks_app.lambda_handler, name="cord-sync-webhooks")]) as running:
        yield running


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: Any


def call(gateway, method: str, path: str, body: bytes | str | dict | list | None = None, headers=None) -> Reply:
    """One real HTTP request to the gateway; the JSON answer decoded."""
    if isinstance(body, dict | list):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(gateway.url + path, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw, got = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, got = exc.code, exc.read(), dict(exc.headers)
    got = {k.lower(): v for k, v in got.items()}
    return Reply(status, got, json.loads(raw) if raw else None)
