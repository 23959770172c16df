"""The benchmark's workload is made of valid canonical events (make bench itself is not part of make test)."""

import json

from bench import EVENTS, sqs_event, workload
from cord_sync.model import parse_message_body


def test_workload_is_deterministic_valid_and_references_only_known_ids():
    events = workload()
    assert len(events) == EVENTS and events == workload()
    known_users: set[str] = set()
    known_orgs: set[str] = set()
    for record in sqs_event(events, 0)["Records"]:
        event = parse_message_body(record["body"])
        if event.type == "user.upsert":
            known_users.add(event.entity_id)
        elif event.type == "organization.upsert":
            assert set(event.data["members"]) <= known_users
            known_orgs.add(event.entity_id)
        elif event.type == "user.deactivate":
            assert event.entity_id in known_users
        else:
            assert event.entity_id in known_orgs and set(event.data["users"]) <= known_users
    kinds = {json.loads(r["body"])["type"] for r in sqs_event(events, 0)["Records"]}
    assert kinds == {
        "user.upsert",
        "user.deactivate",
        "organization.upsert",
        "organization.members.add",
        "organization.members.remove",
    }
