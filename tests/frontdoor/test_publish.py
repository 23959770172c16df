"""The publisher front doors use to put canonical events on the sync queue (moto stands in for SQS)."""

import json

import boto3
import pytest
from moto import mock_aws

from cord_sync.errors import ConfigurationError, InvalidEventError
from cord_sync.model import parse_message_body
from cord_sync.publish import PublishError, QueuePublisher, change_event, default_publisher, reset_publisher, utc_now


@pytest.fixture
def queue():
    with mock_aws():
        sqs = boto3.client("sqs")
        yield sqs, sqs.create_queue(QueueName="sync")["QueueUrl"]


def received(sqs, url):
    bodies = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in got:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def user(i, **extra):
    return change_event("user.upsert", {"id": f"u{i}", "email": f"u{i}@example.com", **extra}, id=f"e{i}", source="t")


def test_events_go_out_ten_per_call_and_parse_as_canonical(queue):
    sqs, url = queue
    publisher = QueuePublisher(url, sqs)
    assert publisher.publish([user(i) for i in range(23)]) == 23
    assert publisher.calls == 3
    bodies = received(sqs, url)
    assert sorted(parse_message_body(b).data["id"] for b in bodies) == sorted(f"u{i}" for i in range(23))


def test_large_bodies_split_batches_under_the_sqs_limit(queue):
    sqs, url = queue
    publisher = QueuePublisher(url, sqs)
    members = [f"user-{i:06d}-{'x' * 90}" for i in range(1000)]  # about 100 KiB per event
    events = [
        change_event("organization.upsert", {"id": f"o{i}", "name": "Org", "members": members}, id=f"o{i}", source="t")
        for i in range(5)
    ]
    publisher.publish(events)
    assert publisher.calls == 3  # 2 + 2 + 1: two ~100 KiB bodies fit under 240 KiB, three do not
    assert len(received(sqs, url)) == 5


def test_an_invalid_event_sends_nothing(queue):
    sqs, url = queue
    publisher = QueuePublisher(url, sqs)
    bad = change_event("user.upsert", {"id": "u1"}, id="bad", source="t")
    with pytest.raises(InvalidEventError, match="email"):
        publisher.publish([user(1), bad])
    assert publisher.calls == 0
    assert received(sqs, url) == []


class _FlakySqs:
    """SQS whose SendMessageBatch refuses the entries named in `refuse` (per call, in order)."""

    def __init__(self, refuse):
        self.refuse = list(refuse)
        self.sent = []

    def send_message_batch(self, QueueUrl, Entries):
        refused = self.refuse.pop(0) if self.refuse else set()
        self.sent.extend(e["Id"] for e in Entries if e["Id"] not in refused)
        failed = [{"Id": e["Id"], "Code": "InternalError", "SenderFault": False} for e in Entries if e["Id"] in refused]
        return {"Successful": [], "Failed": failed}


def test_refused_entries_are_retried_once_then_reported():
    flaky = _FlakySqs([{"1"}])  # refused on the first call only
    QueuePublisher("https://sqs/q", flaky).publish([user(0), user(1), user(2)])
    assert sorted(flaky.sent) == ["0", "1", "2"]

    stubborn = _FlakySqs([{"1"}, {"1"}])
    with pytest.raises(PublishError) as info:
        QueuePublisher("https://sqs/q", stubborn).publish([user(0), user(1), user(2)])
    assert info.value.failed_ids == ["e1"]


def test_no_queue_configured_fails_closed(monkeypatch):
    monkeypatch.delenv("SYNC_QUEUE_URL", raising=False)
    reset_publisher()
    with pytest.raises(ConfigurationError, match="SYNC_QUEUE_URL"):
        default_publisher()
    monkeypatch.setenv("SYNC_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/a")
    first = default_publisher()
    assert default_publisher() is first
    monkeypatch.setenv("SYNC_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/1/b")
    assert default_publisher().queue_url.endswith("/b")
    reset_publisher()


def test_change_event_times_are_rfc3339_utc():
    event = change_event("user.deactivate", {"id": 7}, id="x", source="scim")
    assert event["time"].endswith("Z") and event["time"] <= utc_now()
    assert json.loads(json.dumps(event))["data"] == {"id": 7}
