"""The EventBridge rule of template.yaml, put on a bus in moto: canonical events match, others do not."""

import json

import boto3
from moto import mock_aws

from lambda_runtime import ROOT
from tests.template.test_sam_template import load_template

CANONICAL = ["user.upsert", "user.deactivate", "organization.upsert", "organization.deactivate"]


@mock_aws
def test_the_rule_routes_canonical_events_and_nothing_else():
    rule = load_template()["Resources"]["SyncEventsRule"]["Properties"]
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name="partner-bus")
    events.put_rule(Name="sync", EventBusName="partner-bus", EventPattern=json.dumps(rule["EventPattern"]))
    events.put_targets(Rule="sync", EventBusName="partner-bus", Targets=[{"Id": "q", "Arn": arn}])

    sample = json.loads((ROOT / "events" / "eventbridge_user_upsert.json").read_text())
    entries = [
        {"EventBusName": "partner-bus", "Source": "hr", "DetailType": t, "Detail": json.dumps(sample["detail"])}
        for t in [*CANONICAL, "user.merge", "Okta log", "organization.members.add"]
    ]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0

    delivered = []
    while got := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
        for message in got:
            delivered.append(json.loads(message["Body"])["detail-type"])
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    assert sorted(delivered) == sorted([*CANONICAL, "organization.members.add"])
