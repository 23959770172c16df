"""The sync queue as deployed: SQS (moto) with a redrive policy, the Lambda poller in miniature, the handler.

Invalid records are reported as failures on every delivery until the redrive policy moves them to the DLQ;
everything else is applied once and deleted.
"""

import json
from pathlib import Path

import boto3

from lambda_runtime import drain_queue

SCENARIO = json.loads((Path(__file__).resolve().parents[2] / "events" / "sqs_scenario.json").read_text())


def test_malformed_messages_end_in_the_dlq_and_the_rest_in_cord(deployed, sync_queue_app):
    emulator, app, _ = deployed
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName="sync-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(
        QueueName="sync",
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})},
    )["QueueUrl"]
    for record in SCENARIO["Records"]:
        sqs.send_message(QueueUrl=queue, MessageBody=record["body"])

    invocations = drain_queue(sqs, queue, sync_queue_app.lambda_handler, batch_size=5)

    assert invocations and all(i.error is None or "BatchProcessingError" in i.error for i in invocations)
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    bodies = sorted(m["Body"] for m in dead)
    assert len(bodies) == 2
    assert any("not-an-email" in b for b in bodies)
    assert any(b.startswith('{"type": "user.upsert", "id": "evt-demo-truncated"') for b in bodies)
    assert set(emulator.users(app.app_id)) == {"u-ada", "u-grace", "u-alan", "4217"}
    assert sorted(emulator.organizations(app.app_id)["team-research"]["members"]) == ["4217", "u-ada"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"
