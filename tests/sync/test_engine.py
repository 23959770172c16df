"""The sync core against the emulator: request economy, bisection, no-ops, transient and auth failures."""

import json
from datetime import UTC, datetime, timedelta

from cord_emulator import Fault
from cord_sync.sync import SyncEngine
from tests.conftest import era_error, make_client

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def msg(n, type_, **data):
    body = {
        "type": type_,
        "id": f"evt-{n}",
        "time": (T0 + timedelta(seconds=n)).isoformat(),
        "source": "test",
        "data": data,
    }
    return (f"m{n}", json.dumps(body))


def hire(n, uid, **extra):
    return msg(n, "user.upsert", id=uid, email=f"{uid}@example.com", **extra)


def v1_calls(emulator):
    return [(r.method, r.path, r.status) for r in emulator.requests if r.path != "/v1/authorize"]


def test_a_batch_of_upserts_costs_one_cord_request(cord, engine):
    emulator, app = cord
    messages = [hire(n, f"u{n % 40}", name=f"v{n}") for n in range(200)]
    messages.append(msg(300, "organization.upsert", id="team", name="Team", members=["u1", "u2"]))
    report = engine.sync_messages(messages)
    assert report.failures == {}
    assert report.applied == 201
    assert v1_calls(emulator) == [("POST", "/v1/batch", 200)]
    users = emulator.users(app.app_id)
    assert len(users) == 40 and users["u1"]["name"] == "v161"  # the newest upsert of u1 won
    assert sorted(emulator.organizations(app.app_id)["team"]["members"]) == ["u1", "u2"]


def test_invalid_records_fail_alone_with_their_reason(cord, engine):
    emulator, app = cord
    report = engine.sync_messages(
        [hire(1, "ok"), ("bad-json", "{nope"), msg(2, "user.upsert", id="x", email="not-an-email"), hire(3, "ok2")]
    )
    assert set(report.failures) == {"bad-json", "m2"}
    assert "not JSON" in report.failures["bad-json"].reason
    assert "email" in report.failures["m2"].reason and not report.failures["m2"].retryable
    assert set(emulator.users(app.app_id)) == {"ok", "ok2"}


def test_bisection_isolates_the_record_cord_rejects(cord, engine):
    emulator, app = cord
    messages = [hire(n, f"u{n}") for n in range(16)]
    messages.append(msg(50, "organization.upsert", id="good", name="Good", members=["u1"]))
    messages.append(msg(51, "organization.upsert", id="bad", name="Bad", members=["u2", "ghost"]))
    report = engine.sync_messages(messages)
    assert set(report.failures) == {"m51"}
    failure = report.failures["m51"]
    assert "user_not_found" in failure.reason and not failure.retryable
    assert len(emulator.users(app.app_id)) == 16
    assert set(emulator.organizations(app.app_id)) == {"good"}
    batches = [c for c in v1_calls(emulator) if c[1] == "/v1/batch"]
    assert len(batches) <= 6  # 1 rejected + users + organizations bisected, not one call per record


def test_deactivating_an_unknown_user_never_leaves_an_active_user(cord, engine):
    """2022: email is required to create a user, so nothing is created (skipped). 2024: Cord creates a user from
    a bare deactivation, active at first in a batch; the engine's second batch leaves it deleted."""
    emulator, app = cord
    report = engine.sync_messages([msg(1, "user.deactivate", id="never-synced"), hire(2, "u1")])
    assert report.failures == {}
    users = emulator.users(app.app_id)
    if emulator.era == "2022":
        assert report.skipped == 1 and set(users) == {"u1"}
    else:
        assert report.skipped == 0 and users["never-synced"]["status"] == "deleted"


def test_deactivating_an_unknown_organization_is_a_no_op(cord, engine):
    emulator, app = cord
    report = engine.sync_messages([msg(1, "organization.deactivate", id="never-synced")])
    assert report.failures == {} and report.skipped == 1
    assert emulator.organizations(app.app_id) == {}


def test_an_organization_created_and_deactivated_in_one_batch_ends_deleted(cord, engine):
    emulator, app = cord
    report = engine.sync_messages(
        [
            msg(1, "organization.upsert", id="short-lived", name="Short-lived"),
            msg(2, "organization.deactivate", id="short-lived"),
            msg(3, "organization.upsert", id="born-deleted", name="Born deleted", status="deleted"),
        ]
    )
    assert report.failures == {}
    orgs = emulator.organizations(app.app_id)
    assert orgs["short-lived"]["status"] == "deleted" and orgs["born-deleted"]["status"] == "deleted"


def test_deactivation_of_a_known_user(cord, engine):
    emulator, app = cord
    engine.sync_messages([hire(1, "u1")])
    report = engine.sync_messages([msg(2, "user.deactivate", id="u1")])
    assert report.failures == {} and report.skipped == 0
    assert emulator.users(app.app_id)["u1"]["status"] == "deleted"


def test_hired_and_left_in_one_batch_ends_deleted(cord, engine):
    """Cord creates new batch users active whatever their status: the engine says "deleted" again."""
    emulator, app = cord
    report = engine.sync_messages([hire(1, "temp"), msg(2, "user.deactivate", id="temp")])
    assert report.failures == {}
    assert emulator.users(app.app_id)["temp"]["status"] == "deleted"


def test_incremental_membership_goes_out_after_the_users_it_names(cord, engine):
    emulator, app = cord
    engine.sync_messages([msg(1, "organization.upsert", id="team", name="Team")])
    emulator.clear_requests()
    report = engine.sync_messages(
        [
            msg(5, "organization.members.add", id="team", users=["new1", "new2"]),
            hire(2, "new1"),
            hire(3, "new2"),
            msg(6, "organization.members.remove", id="team", users=["new2"]),
        ]
    )
    assert report.failures == {}
    assert v1_calls(emulator) == [("POST", "/v1/batch", 200), ("POST", "/v1/organizations/team/members", 200)]
    assert emulator.organizations(app.app_id)["team"]["members"] == ["new1"]


def test_a_bad_membership_record_fails_alone(cord, engine):
    emulator, app = cord
    engine.sync_messages([hire(1, "a"), hire(2, "b"), msg(3, "organization.upsert", id="team", name="Team")])
    report = engine.sync_messages(
        [
            msg(10, "organization.members.add", id="team", users=["a"]),
            msg(11, "organization.members.add", id="team", users=["ghost"]),
            msg(12, "organization.members.add", id="team", users=["b"]),
            msg(13, "organization.members.add", id="no-such-team", users=["a"]),
            msg(14, "organization.members.remove", id="team", users=["also-ghost"]),
        ]
    )
    assert set(report.failures) == {"m11", "m13"}
    assert era_error(emulator, "organization_not_found") in report.failures["m13"].reason
    assert sorted(emulator.organizations(app.app_id)["team"]["members"]) == ["a", "b"]


def test_transient_failure_fails_records_as_retryable_and_a_retry_converges(cord, engine):
    emulator, app = cord
    emulator.inject(Fault(path=r"^/v1/batch$", kind="status", status=503, count=None))
    report = engine.sync_messages([hire(1, "u1"), hire(2, "u2")])
    assert set(report.failures) == {"m1", "m2"}
    assert all(f.retryable for f in report.failures.values())
    assert sum(1 for c in v1_calls(emulator) if c[1] == "/v1/batch") == 4  # no bisection on 5xx
    emulator.reset()  # faults gone (and sessions: the engine must authorize again)
    again = engine.sync_messages([hire(1, "u1"), hire(2, "u2")])  # SQS redelivers the same records
    assert again.failures == {}
    assert set(emulator.users(app.app_id)) == {"u1", "u2"}


def test_refused_credentials_fail_every_record(cord):
    emulator, app = cord
    from cord_sync.secrets import StaticCredentials

    engine = SyncEngine(make_client(emulator.url, app, credentials=StaticCredentials(app.app_id, "0" * 64)))
    report = engine.sync_messages([hire(1, "u1"), ("bad", "[]")])
    assert set(report.failures) == {"m1", "bad"}
    assert "cannot authenticate to Cord" in report.failures["m1"].reason
    assert "0" * 64 not in report.failures["m1"].reason
    assert emulator.users(app.app_id) == {}


def test_numeric_ids_reach_cord_as_strings(cord, engine):
    emulator, app = cord
    report = engine.sync_messages(
        [msg(1, "user.upsert", id=4217, email="k@example.com"), msg(2, "organization.upsert", id=7, name="Seven")]
    )
    assert report.failures == {}
    assert "4217" in emulator.users(app.app_id) and "7" in emulator.organizations(app.app_id)


def test_large_batches_are_split_users_first(cord, engine):
    emulator, app = cord
    messages = [hire(n, f"u{n:05d}") for n in range(10_050)]
    messages += [msg(20_000 + n, "organization.upsert", id=f"o{n}", name="O", members=["u00001"]) for n in range(3)]
    report = engine.sync_messages(messages)
    assert report.failures == {}
    assert [c for c in v1_calls(emulator)] == [("POST", "/v1/batch", 200)] * 2
    assert len(emulator.users(app.app_id)) == 10_050
    assert {o: org["members"] for o, org in emulator.organizations(app.app_id).items()} == {
        f"o{n}": ["u00001"] for n in range(3)
    }
