"""ETags from meta.version, If-Match / If-None-Match, and conditional writes under a race."""

import pytest

from cord_sync.scim.store import ScimStore, Stored, VersionConflict
from tests.scim.conftest import group_body, patch_body, user_body


def test_etag_follows_the_version(scim):
    created = scim.post("/Users", user_body("v@example.com"))
    user_id = created.json()["id"]
    assert created.headers["etag"] == 'W/"1"'
    got = scim.get(f"/Users/{user_id}")
    assert got.headers["etag"] == got.json()["meta"]["version"] == 'W/"1"'
    patched = scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "path": "displayName", "value": "V"}))
    assert patched.headers["etag"] == 'W/"2"'
    # a PATCH that changes nothing keeps the version
    same = scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "path": "displayName", "value": "V"}))
    assert same.headers["etag"] == 'W/"2"'


def test_if_none_match_gives_304_and_if_match_gives_412(scim):
    user_id = scim.post("/Users", user_body("c@example.com")).json()["id"]
    not_modified = scim.get(f"/Users/{user_id}", headers={"if-none-match": 'W/"1"'})
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.headers["etag"] == 'W/"1"'
    assert scim.get(f"/Users/{user_id}", headers={"if-none-match": 'W/"7"'}).status == 200
    assert scim.get(f"/Users/{user_id}", headers={"if-match": 'W/"7"'}).status == 412

    stale = {"if-match": 'W/"0", W/"5"'}
    change = patch_body({"op": "replace", "path": "displayName", "value": "C"})
    refused = scim.patch(f"/Users/{user_id}", change, headers=stale)
    assert refused.status == 412
    assert refused.json()["status"] == "412"
    assert scim.put(f"/Users/{user_id}", user_body("c@example.com"), headers=stale).status == 412
    assert scim.delete(f"/Users/{user_id}", headers=stale).status == 412
    assert scim.get(f"/Users/{user_id}").json()["meta"]["version"] == 'W/"1"'  # nothing written

    assert scim.patch(f"/Users/{user_id}", change, headers={"if-match": 'W/"1"'}).status == 200
    assert scim.patch(f"/Users/{user_id}", change, headers={"if-match": "*"}).status == 200
    assert scim.delete(f"/Users/{user_id}", headers={"if-match": '"2"'}).status == 204


@pytest.fixture
def race(monkeypatch):
    """Make the next conditional write lose: another request's write lands between its read and its write."""
    original = ScimStore.replace
    pending = []

    def replace(self, old, new):
        if pending:
            pending.pop()()
        return original(self, old, new)

    monkeypatch.setattr(ScimStore, "replace", replace)
    return pending.append


def test_a_lost_race_is_retried_and_no_update_is_lost(scim, aws, race):
    members = [scim.post("/Users", user_body(f"m{n}@example.com")).json()["id"] for n in range(2)]
    group_id = scim.post("/Groups", group_body("Racers")).json()["id"]
    aws.events()

    def other_request():
        response = scim.patch(
            f"/Groups/{group_id}", patch_body({"op": "add", "path": "members", "value": [{"value": members[0]}]})
        )
        assert response.status == 200

    race(other_request)
    response = scim.patch(
        f"/Groups/{group_id}", patch_body({"op": "add", "path": "members", "value": [{"value": members[1]}]})
    )
    assert response.status == 200
    group = scim.get(f"/Groups/{group_id}").json()
    assert sorted(m["value"] for m in group["members"]) == sorted(members)
    assert group["meta"]["version"] == 'W/"3"'
    upserts = [e["data"] for e in aws.events() if e["type"] == "organization.upsert"]
    assert upserts[-1]["members"] == sorted(members)


def test_a_lost_race_with_if_match_answers_412(scim, race):
    user_id = scim.post("/Users", user_body("r@example.com")).json()["id"]

    def other_request():
        assert (
            scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "path": "title", "value": "A"})).status == 200
        )

    race(other_request)
    response = scim.patch(
        f"/Users/{user_id}",
        patch_body({"op": "replace", "path": "nickName", "value": "B"}),
        headers={"if-match": 'W/"1"'},
    )
    assert response.status == 412
    user = scim.get(f"/Users/{user_id}").json()
    assert user["title"] == "A"
    assert "nickName" not in user


def test_concurrent_creates_of_one_user_name_leave_one_user(scim, aws, monkeypatch):
    """The second of two racing creates finds the name claimed, even before the first wrote its user."""
    original = ScimStore._put
    calls = []

    def put(self, stored, **condition):
        if not calls:
            calls.append(scim.post("/Users", user_body("Same@example.com")))
        return original(self, stored, **condition)

    monkeypatch.setattr(ScimStore, "_put", put)
    first = scim.post("/Users", user_body("same@example.com"))
    assert first.status == 201
    assert calls[0].status == 409
    assert calls[0].json()["scimType"] == "uniqueness"
    assert scim.get("/Users").json()["totalResults"] == 1


def test_a_released_user_name_can_be_taken_again(scim):
    first = scim.post("/Users", user_body("reuse@example.com")).json()["id"]
    renamed = scim.patch(f"/Users/{first}", patch_body({"op": "replace", "path": "userName", "value": "x@example.com"}))
    assert renamed.status == 200
    assert scim.post("/Users", user_body("reuse@example.com")).status == 201
    assert scim.post("/Users", user_body("X@example.com")).status == 409
    taken = scim.patch(
        f"/Users/{first}", patch_body({"op": "replace", "path": "userName", "value": "REUSE@example.com"})
    )
    assert taken.status == 409
    assert scim.get(f"/Users/{first}").json()["userName"] == "x@example.com"


def test_an_orphaned_name_claim_is_taken_over_after_the_grace_period(scim, aws):
    def orphan(at):
        aws.dynamodb.put_item(
            TableName=aws.table,
            Item={
                "pk": {"S": "scim#User#name"},
                "sk": {"S": "orphan@example.com"},
                "id": {"S": "gone"},
                "at": {"N": str(at)},
            },
        )

    import time

    orphan(int(time.time()))  # a writer may still be between its claim and its user: taken for now
    assert scim.post("/Users", user_body("orphan@example.com")).status == 409
    orphan(int(time.time()) - 3600)  # its writer is long gone
    assert scim.post("/Users", user_body("orphan@example.com")).status == 201
    assert scim.get('/Users?filter=userName eq "orphan@example.com"').json()["totalResults"] == 1


def test_a_resource_over_the_item_limit_is_refused_cleanly(scim, aws):
    from cord_sync.scim.store import ItemTooLarge, ScimStore

    store = ScimStore(aws.table, aws.dynamodb)
    huge = Stored("Group", "g-huge", 1, {"displayName": "Huge", "note": "x" * 420_000}, "huge")
    with pytest.raises(ItemTooLarge):
        store.create(huge)
    assert store.id_by_name("Group", "huge") is None  # the name claim was released
    assert scim.post("/Groups", group_body("huge")).status == 201


def test_two_racing_renames_to_one_name_keep_its_claim(scim, monkeypatch):
    """The loser of two identical renames must not release the name the winner now holds."""
    user_id = scim.post("/Users", user_body("before@example.com")).json()["id"]
    rename = patch_body({"op": "replace", "path": "userName", "value": "after@example.com"})
    original = ScimStore._put
    calls = []

    def put(self, stored, **condition):
        if not calls:
            calls.append(None)
            calls.append(scim.patch(f"/Users/{user_id}", rename))  # lands between the first's claim and write
        return original(self, stored, **condition)

    monkeypatch.setattr(ScimStore, "_put", put)
    assert scim.patch(f"/Users/{user_id}", rename).status == 200
    assert calls[1].status == 200
    monkeypatch.setattr(ScimStore, "_put", original)
    taken = scim.post("/Users", user_body("after@example.com"))
    assert taken.status == 409
    assert scim.get('/Users?filter=userName eq "after@example.com"').json()["totalResults"] == 1


def test_a_delete_that_loses_its_if_match_race_restores_what_it_sent(scim, aws, monkeypatch):
    """DELETE queues the deactivation before deleting; a 412 must not leave the still-existing user off in Cord."""
    user_id = scim.post("/Users", user_body("kept@example.com")).json()["id"]
    group_id = scim.post("/Groups", group_body("Keepers", [user_id])).json()["id"]
    aws.events()
    original = ScimStore.delete

    def delete(self, old):
        monkeypatch.setattr(ScimStore, "delete", original)
        change = patch_body({"op": "replace", "path": "title", "value": "Still here"})
        assert scim.patch(f"/Users/{user_id}", change).status == 200
        return original(self, old)

    monkeypatch.setattr(ScimStore, "delete", delete)
    assert scim.delete(f"/Users/{user_id}", headers={"if-match": 'W/"1"'}).status == 412
    assert scim.get(f"/Users/{user_id}").json()["title"] == "Still here"
    events = [(e["type"], e["data"]) for e in aws.events()]
    assert events[:2] == [
        ("organization.members.remove", {"id": group_id, "users": [user_id]}),
        ("user.deactivate", {"id": user_id}),
    ]
    assert events[-2:] == [
        ("user.upsert", {"id": user_id, "email": "kept@example.com", "status": "active"}),
        ("organization.members.add", {"id": group_id, "users": [user_id]}),
    ]


def test_a_delete_that_keeps_losing_restores_what_it_sent(scim, aws, monkeypatch):
    user_id = scim.post("/Users", user_body("busy@example.com")).json()["id"]
    aws.events()

    def delete(self, old):
        raise VersionConflict(old.id)

    monkeypatch.setattr(ScimStore, "delete", delete)
    assert scim.delete(f"/Users/{user_id}").status == 409
    events = [e["type"] for e in aws.events()]
    assert events == ["user.deactivate"] * 5 + ["user.upsert"]
