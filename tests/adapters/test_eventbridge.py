"""The EventBridge classifier, and its event patterns put on a moto bus: supported events match, others not."""

import copy
import json

import boto3
import pytest
from moto import mock_aws

from cord_sync.adapters import eventbridge
from cord_sync.adapters.auth0 import Auth0Mapping
from cord_sync.adapters.eventbridge import (
    AUTH0_EVENT_STREAM,
    AUTH0_EVENT_STREAM_PATTERN,
    AUTH0_LOG,
    AUTH0_LOG_PATTERN,
    CANONICAL,
    OKTA_LOG,
    OKTA_LOG_PATTERN,
    UNKNOWN,
    classify,
)
from cord_sync.adapters.okta import OktaMapping
from cord_sync.errors import ConfigurationError, InvalidEventError
from lambda_runtime import ROOT

SAMPLES = {path.name: json.loads(path.read_text()) for path in (ROOT / "events").glob("*.json")}
NOT_ECHOED = r"^.{0,100}longer than 256 characters$"  # a huge id is refused without being repeated
MAPPINGS = {"okta_mapping": OktaMapping(), "auth0_mapping": Auth0Mapping()}


def sample(name):
    return copy.deepcopy(SAMPLES[name])


@pytest.mark.parametrize(
    ("name", "kind", "event_type", "changes"),
    [
        ("eventbridge_user_upsert.json", CANONICAL, "user.upsert", ["user.upsert"]),
        ("eventbridge_members_add.json", CANONICAL, "organization.members.add", ["organization.members.add"]),
        (
            "okta_logstream_membership_add.json",
            OKTA_LOG,
            "group.user_membership.add",
            ["organization.upsert", "user.upsert", "organization.members.add"],
        ),
        ("okta_logstream_user_create.json", OKTA_LOG, "user.lifecycle.create", ["user.upsert"]),
        ("auth0_log_signup.json", AUTH0_LOG, "ss", ["user.upsert"]),
        ("auth0_log_api_create_user.json", AUTH0_LOG, "sapi", ["user.upsert"]),
        ("auth0_log_api_delete_user.json", AUTH0_LOG, "sapi", ["user.deactivate"]),
        ("auth0_log_deleted_user.json", AUTH0_LOG, "du", ["user.deactivate"]),
        ("auth0_event_user_created.json", AUTH0_EVENT_STREAM, "user.created", ["user.upsert"]),
        (
            "auth0_event_member_added.json",
            AUTH0_EVENT_STREAM,
            "organization.member.added",
            ["organization.members.add"],
        ),
    ],
)
def test_supported_events_become_validated_changes(name, kind, event_type, changes):
    classified = classify(sample(name), **MAPPINGS)
    assert (classified.kind, classified.event_type, classified.skip_reason) == (kind, event_type, None)
    assert [change.type for change in classified.changes] == changes
    assert len({change.id for change in classified.changes}) == len(changes)  # distinct record keys


@pytest.mark.parametrize(
    ("name", "change", "kind", "reason"),
    [
        ("okta_logstream_session_start.json", None, OKTA_LOG, "Okta event type"),
        (
            "okta_logstream_user_create.json",
            lambda e: e["detail"]["outcome"].update(result="FAILURE"),
            OKTA_LOG,
            "outcome",
        ),
        ("auth0_log_login.json", None, AUTH0_LOG, "Auth0 log type"),
        ("auth0_log_api_update_client.json", None, AUTH0_LOG, "nothing Cord can use"),
        (
            "auth0_event_user_created.json",
            lambda e: e["detail"].update(a0purpose="test"),
            AUTH0_EVENT_STREAM,
            "nothing",
        ),
        (
            "auth0_event_member_added.json",
            lambda e: e["detail"].update(type="group.member.added"),
            AUTH0_EVENT_STREAM,
            "Auth0 event type",
        ),
        ("eventbridge_user_upsert.json", lambda e: e.update({"detail-type": "EC2 Instance State-change"}), UNKNOWN, ""),
        ("auth0_event_user_created.json", lambda e: e["detail"].pop("specversion"), UNKNOWN, "shape"),
        ("okta_logstream_user_create.json", lambda e: e["detail"].pop("eventType"), UNKNOWN, "shape"),
        ("okta_logstream_user_create.json", lambda e: e.update(source="aws.partner/acme.com/x"), UNKNOWN, ""),
        # Only your own producers put canonical events; a partner source (other than Okta and Auth0) never does,
        # whatever its detail-type says, so an unknown partner's event is skipped rather than retried as invalid.
        (
            "okta_logstream_user_create.json",
            lambda e: e.update({"source": "aws.partner/acme.com/x", "detail-type": "user.upsert"}),
            UNKNOWN,
            "partner",
        ),
    ],
)
def test_unknown_sources_and_types_are_skipped_with_a_reason(name, change, kind, reason):
    event = sample(name)
    if change:
        change(event)
    classified = classify(event, **MAPPINGS)
    assert classified.changes == ()
    assert classified.kind == kind
    assert reason in classified.skip_reason


def test_okta_detection_needs_the_partner_source_and_an_event_type_not_the_detail_type():
    event = sample("okta_logstream_user_create.json")
    event["detail-type"] = "Okta System Log Event"
    assert classify(event, **MAPPINGS).kind == OKTA_LOG
    event["source"] = "hr-system"  # a LogEvent from anywhere else is not Okta's
    assert classify(event, **MAPPINGS).kind == UNKNOWN


@pytest.mark.parametrize(
    ("name", "change", "reason"),
    [
        ("eventbridge_user_upsert.json", lambda e: e["detail"].pop("email"), "email"),
        ("eventbridge_user_upsert.json", lambda e: e.update({"detail-type": "user.merge"}), r"event\.type"),
        ("okta_logstream_user_create.json", lambda e: e["detail"].pop("uuid"), "no uuid"),
        ("auth0_log_signup.json", lambda e: e["detail"].pop("data"), r"detail\.data"),
        ("auth0_log_deleted_user.json", lambda e: e["detail"]["data"].pop("user_id"), "no user_id"),
        ("auth0_event_user_deleted.json", lambda e: e["detail"].pop("time"), "time"),
        ("auth0_event_user_deleted.json", lambda e: e["detail"].update(time="9999-12-31T23:59:59-10:00"), "time"),
        (
            "auth0_event_user_deleted.json",
            lambda e: e["detail"].update(id="e" * 100_000),
            r"^.{0,100}longer than 256 characters$",
        ),
        (
            "okta_logstream_user_create.json",
            lambda e: e["detail"].update(uuid="u" * 100_000),
            r"^.{0,100}longer than 256 characters$",
        ),
        ("auth0_log_signup.json", lambda e: e["detail"]["data"].update(date="0001-01-01T00:00:00+14:00"), "time"),
        (
            "okta_logstream_user_create.json",
            lambda e: e["detail"].update(published="0001-01-01T00:00:00+01:00"),
            "ISO 8601",
        ),
    ],
)
def test_malformed_relevant_events_are_invalid(name, change, reason):
    event = sample(name)
    change(event)
    with pytest.raises(InvalidEventError, match=reason):
        classify(event, **MAPPINGS)
    with pytest.raises(InvalidEventError, match="JSON object"):
        classify(["not", "an", "event"], **MAPPINGS)


def test_mappings_default_to_the_environment_and_fail_closed(monkeypatch):
    monkeypatch.setenv("AUTH0_ORGANIZATION_ID_SOURCE", "name")
    [change] = classify(sample("auth0_event_member_added.json")).changes
    assert change.data["id"] == "analytical-engines"
    monkeypatch.setenv("OKTA_GROUP_ID_SOURCE", "name")
    assert classify(sample("okta_logstream_membership_add.json")).changes[0].data["id"] == "Engineering"
    monkeypatch.setenv("OKTA_USER_ID_SOURCE", "email-please")
    with pytest.raises(ConfigurationError, match="OKTA_USER_ID_SOURCE"):
        classify(sample("okta_logstream_membership_add.json"))


# -- event patterns on a moto bus ------------------------------------------------------------------------
def _entry(event):
    return {
        "EventBusName": "idp",
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": json.dumps(event["detail"]),
    }


def _variant(name, change, label):
    event = sample(name)
    change(event)
    event["detail-type"] = f"{event['detail-type']}|{label}"  # marks the variant in what arrives
    return event


@mock_aws
def test_each_rule_routes_the_supported_events_and_nothing_else():
    events, sqs = boto3.client("events"), boto3.client("sqs")
    events.create_event_bus(Name="idp")
    queues = {}
    rules = {"okta": OKTA_LOG_PATTERN, "auth0-logs": AUTH0_LOG_PATTERN, "auth0-events": AUTH0_EVENT_STREAM_PATTERN}
    for rule, pattern in rules.items():
        url = sqs.create_queue(QueueName=rule)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        events.put_rule(Name=rule, EventBusName="idp", EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, EventBusName="idp", Targets=[{"Id": "q", "Arn": arn}])
        queues[rule] = url

    supported = {
        "okta": ["okta_logstream_membership_add.json", "okta_logstream_user_create.json"],
        "auth0-logs": [
            "auth0_log_signup.json",
            "auth0_log_api_create_user.json",
            "auth0_log_api_update_user.json",
            "auth0_log_api_delete_user.json",
            "auth0_log_deleted_user.json",
            "auth0_log_email_changed.json",
        ],
        "auth0-events": [
            "auth0_event_user_created.json",
            "auth0_event_user_deleted.json",
            "auth0_event_organization_created.json",
            "auth0_event_member_added.json",
            "auth0_event_member_deleted.json",
        ],
    }
    unsupported = [
        sample("okta_logstream_session_start.json"),
        sample("auth0_log_login.json"),
        sample("auth0_log_api_update_client.json"),  # sapi outside /api/v2/users
        sample("eventbridge_user_upsert.json"),  # canonical: the canonical rule's business
        _variant("okta_logstream_user_create.json", lambda e: e["detail"]["outcome"].update(result="FAILURE"), "fail"),
        _variant("okta_logstream_user_create.json", lambda e: e.update(source="aws.partner/acme.com/o/s"), "src"),
        _variant("auth0_log_signup.json", lambda e: e.update(source="partner.auth0-like"), "src"),
        _variant("auth0_log_signup.json", lambda e: e["detail"]["data"].update(type="fs"), "fs"),
        _variant("auth0_event_member_added.json", lambda e: e["detail"].update(type="group.member.added"), "grp"),
        _variant("auth0_event_user_created.json", lambda e: e["detail"].pop("specversion"), "nospec"),
        _variant("auth0_event_user_created.json", lambda e: e["detail"].update(type="com.auth0.user.bogus"), "bogus"),
    ]
    namespaced = {"type": "com.auth0.user.created"}  # the spelling of Auth0's example CloudEvent
    prefixed = _variant("auth0_event_user_created.json", lambda e: e["detail"].update(namespaced), "ns")
    entries = [_entry(sample(name)) for names in supported.values() for name in names] + [_entry(prefixed)]
    entries += [_entry(event) for event in unsupported]
    for start in range(0, len(entries), 10):  # PutEvents takes at most 10 entries
        assert events.put_events(Entries=entries[start : start + 10])["FailedEntryCount"] == 0

    for rule, url in queues.items():
        arrived = []
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in got:
                body = json.loads(message["Body"])
                arrived.append((body["detail-type"], json.dumps(body["detail"], sort_keys=True)))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        expected = [(s["detail-type"], json.dumps(s["detail"], sort_keys=True)) for s in map(sample, supported[rule])]
        if rule == "auth0-events":
            expected.append((prefixed["detail-type"], json.dumps(prefixed["detail"], sort_keys=True)))
        assert sorted(arrived) == sorted(expected), rule


def test_the_patterns_filter_on_the_adapters_types():
    assert OKTA_LOG_PATTERN["detail"]["eventType"] == list(eventbridge.okta.SUPPORTED_EVENT_TYPES)
    log_types = AUTH0_LOG_PATTERN["detail"]["data"]["$or"]
    assert sorted(log_types[0]["type"] + log_types[1]["type"]) == sorted(eventbridge.auth0.LOG_TYPES)
    assert AUTH0_EVENT_STREAM_PATTERN["detail"]["type"] == list(eventbridge.auth0.EVENT_STREAM_TYPE_NAMES)


def test_auth0_event_types_are_read_with_or_without_the_com_auth0_prefix():
    plain = sample("auth0_event_user_created.json")
    prefixed = sample("auth0_event_user_created.json")
    prefixed["detail"]["type"] = "com.auth0.user.created"
    mapped = [eventbridge.classify(e, auth0_mapping=eventbridge.auth0.Auth0Mapping()) for e in (plain, prefixed)]
    assert mapped[0].kind == mapped[1].kind == eventbridge.AUTH0_EVENT_STREAM
    assert [c.data for c in mapped[0].changes] == [c.data for c in mapped[1].changes] != []
