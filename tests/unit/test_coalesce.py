"""Coalescing a batch into one change per entity, and splitting it into /v1/batch calls."""

from datetime import UTC, datetime, timedelta

from cord_sync.model import ChangeEvent
from cord_sync.sync import MAX_BATCH_BYTES, _Entity, batch_calls, coalesce

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def ev(type_, minute, **data):
    return ChangeEvent(type_, f"e-{type_}-{minute}", T0 + timedelta(minutes=minute), "test", data)


def plan_of(*events):
    return coalesce([(f"k{i}", e) for i, e in enumerate(events)])


def test_newest_change_wins_field_by_field_whatever_the_arrival_order():
    plan = plan_of(
        ev("user.upsert", 5, id="u", email="new@example.com"),
        ev("user.upsert", 1, id="u", email="old@example.com", name="Old name"),
    )
    assert plan.users["u"].fields == {"email": "new@example.com", "name": "Old name"}
    assert plan.users["u"].keys == ["k1", "k0"]


def test_ties_on_time_go_by_position():
    plan = plan_of(ev("user.upsert", 1, id="u", email="a@example.com"), ev("user.upsert", 1, id="u", email="b@x.io"))
    assert plan.users["u"].fields["email"] == "b@x.io"


def test_deactivation_then_upsert_without_status_stays_deleted():
    plan = plan_of(ev("user.deactivate", 1, id="u"), ev("user.upsert", 2, id="u", email="a@example.com"))
    assert plan.users["u"].fields == {"status": "deleted", "email": "a@example.com"}
    rehired = plan_of(ev("user.deactivate", 1, id="u"), ev("user.upsert", 2, id="u", email="a@x.io", status="active"))
    assert rehired.users["u"].fields["status"] == "active"


def test_full_member_list_absorbs_incremental_changes_before_and_after_it():
    plan = plan_of(
        ev("organization.members.add", 1, id="o", users=["early"]),
        ev("organization.upsert", 2, id="o", name="O", members=["a", "b"]),
        ev("organization.members.add", 3, id="o", users=["c", "a"]),
        ev("organization.members.remove", 4, id="o", users=["b"]),
    )
    org = plan.organizations["o"]
    assert org.fields == {"name": "O", "members": ["a", "c"]}
    assert org.member_ops == []
    assert sorted(org.keys) == ["k0", "k1", "k2", "k3"]


def test_incremental_changes_without_a_full_list_net_out_in_time_order():
    plan = plan_of(
        ev("organization.members.remove", 3, id="o", users=["a"]),
        ev("organization.members.add", 1, id="o", users=["a", "b"]),
        ev("organization.members.add", 4, id="o", users=["c"]),
        ev("organization.members.remove", 2, id="o", users=["b"]),
    )
    org = plan.organizations["o"]
    assert not org.has_entry
    assert [op.key for op in org.member_ops] == ["k1", "k3", "k0", "k2"]
    assert org.net_members() == (["c"], ["b", "a"])


def test_organization_deactivation_is_a_status_only_entry():
    plan = plan_of(ev("organization.deactivate", 1, id="o"))
    assert plan.organizations["o"].entry() == {"id": "o", "status": "deleted"}
    assert plan.organizations["o"].only_deactivates


def test_one_call_within_the_limits_users_before_organizations_beyond():
    users = [_Entity(str(i), {"email": f"{i}@example.com"}) for i in range(25_000)]
    orgs = [_Entity(f"o{i}", {"name": "O"}) for i in range(1_500)]
    assert [(len(u), len(o)) for u, o in batch_calls(users[:10_000], orgs[:1_000])] == [(10_000, 1_000)]
    calls = batch_calls(users, orgs)
    assert [(len(u), len(o)) for u, o in calls] == [(10_000, 0), (10_000, 0), (5_000, 1_000), (0, 500)]


def test_calls_stay_under_the_body_size_limit():
    big = [_Entity(str(i), {"email": "a@example.com", "name": "n" * 2_000}) for i in range(9_000)]
    calls = batch_calls(big, [])
    assert len(calls) > 1
    for users, _ in calls:
        assert sum(u.size for u in users) <= MAX_BATCH_BYTES
