"""A local stand-in for the Lambda runtime pieces cord-sync relies on.

- `LambdaContext`: the context object a handler receives (remaining time included).
- `load_handler(name)`: import `functions/<name>/app.py` the way Lambda does, as its own module.
- `use_local_aws(...)` and `create_cord_secret(...)`: fake AWS credentials for moto, the Cord secret.
- `drain_queue(...)`: Lambda's SQS event source mapping in miniature: receive up to `batch_size` messages,
  invoke the handler with an SQS event, delete what succeeded, make the reported failures visible again at
  once. The queue's redrive policy (enforced by moto) moves a message to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class LambdaContext:
    function_name: str = "cord-sync-local"
    memory_limit_in_mb: int = 512
    timeout_seconds: float = 60.0
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:cord-sync-local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000), 0)


def use_local_aws(**environment: str) -> None:
    """Fake credentials and a fixed region, so that only moto ever answers; plus any extra variables."""
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        **environment,
    )


def create_cord_secret(app_id: str, secret: str, name: str = "cord-sync/cord-credentials") -> str:
    """Store the Cord credentials the way the stack expects them; returns the secret's ARN."""
    import boto3

    value = json.dumps({"app_id": app_id, "secret": secret})
    return boto3.client("secretsmanager").create_secret(Name=name, SecretString=value)["ARN"]


def load_handler(name: str) -> ModuleType:
    """Import functions/<name>/app.py as module `<name>_app` (the two handlers are both called app.py)."""
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"{name}_app", path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def lambda_sqs_record(message: dict[str, Any], queue_arn: str, region: str = "us-east-1") -> dict[str, Any]:
    """An SQS message as the event source mapping hands it to Lambda."""
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


@dataclass
class Invocation:
    records: int
    failed: list[str]
    error: str | None = None


def drain_queue(
    sqs: Any,
    queue_url: str,
    handler: Callable[[dict, Any], Any],
    *,
    batch_size: int = 100,
    max_invocations: int = 100,
) -> list[Invocation]:
    """Invoke `handler` with batches from the queue until it is empty; returns one entry per invocation."""
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    invocations: list[Invocation] = []
    while len(invocations) < max_invocations:
        messages: list[dict[str, Any]] = []
        while len(messages) < batch_size:
            got = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=min(10, batch_size - len(messages)),
                AttributeNames=["All"],
                WaitTimeSeconds=0,
            ).get("Messages", [])
            if not got:
                break
            messages.extend(got)
        if not messages:
            break
        event = {"Records": [lambda_sqs_record(m, queue_arn) for m in messages]}
        error = None
        try:
            response = handler(event, LambdaContext()) or {}
            failed = [f["itemIdentifier"] for f in response.get("batchItemFailures", [])]
        except Exception as exc:  # the invocation failed: every record returns to the queue
            failed, error = [m["MessageId"] for m in messages], f"{type(exc).__name__}: {exc}"
        failed_set = set(failed)
        for message in messages:
            if message["MessageId"] in failed_set:
                sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        invocations.append(Invocation(len(messages), failed, error))
    return invocations
