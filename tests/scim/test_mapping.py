"""SCIM to Cord: ids per SCIM_*_ID_SOURCE, emails and names, which groups become organizations, member lists.

Every test reads the canonical events the handler put on the (moto) sync queue.
"""

import json

from cord_sync.scim.mapping import MEMBERS_CHUNK, Events, user_email, user_name
from tests.scim.conftest import group_body, patch_body, user_body


def typed(aws):
    return [(e["type"], e["data"]) for e in aws.events()]


def test_every_event_is_canonical_and_unique(scim, aws):
    user_id = scim.post("/Users", user_body("ev@example.com")).json()["id"]
    scim.post("/Groups", group_body("Evs", [user_id]))
    events = aws.events()
    assert len({e["id"] for e in events}) == len(events) == 2
    assert {e["source"] for e in events} == {"scim"}
    assert all(e["time"].endswith("Z") for e in events)


def test_user_id_source_external_id(scim, aws, monkeypatch):
    monkeypatch.setenv("SCIM_USER_ID_SOURCE", "externalId")
    created = scim.post("/Users", user_body("ext@example.com", external_id="emp-42"))
    assert typed(aws) == [("user.upsert", {"id": "emp-42", "email": "ext@example.com", "status": "active"})]
    group = scim.post("/Groups", group_body("Team", [created.json()["id"]])).json()
    assert typed(aws)[0][1]["members"] == ["emp-42"]
    # without an externalId a user is stored and answered, but not sent to Cord
    silent = scim.post("/Users", user_body("noext@example.com"))
    assert silent.status == 201
    assert typed(aws) == []
    # ... and when it gets one, it is sent, and added to the organizations of its groups
    scim.patch(
        f"/Groups/{group['id']}",
        patch_body({"op": "add", "path": "members", "value": [{"value": silent.json()["id"]}]}),
    )
    assert typed(aws)[0][1]["members"] == ["emp-42"]  # not a Cord user yet: not a member in Cord either
    scim.patch(f"/Users/{silent.json()['id']}", patch_body({"op": "add", "path": "externalId", "value": "emp-43"}))
    assert typed(aws) == [
        ("user.upsert", {"id": "emp-43", "email": "noext@example.com", "status": "active"}),
        ("organization.members.add", {"id": group["id"], "users": ["emp-43"]}),
    ]


def test_user_id_source_user_name_follows_renames(scim, aws, monkeypatch):
    monkeypatch.setenv("SCIM_USER_ID_SOURCE", "userName")
    user_id = scim.post("/Users", user_body("old@example.com")).json()["id"]
    group_id = scim.post("/Groups", group_body("Movers", [user_id])).json()["id"]
    assert typed(aws)[-1][1]["members"] == ["old@example.com"]
    scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "path": "userName", "value": "new@example.com"}))
    assert typed(aws) == [
        ("user.deactivate", {"id": "old@example.com"}),
        ("organization.members.remove", {"id": group_id, "users": ["old@example.com"]}),
        ("user.upsert", {"id": "new@example.com", "email": "old@example.com", "status": "active"}),
        ("organization.members.add", {"id": group_id, "users": ["new@example.com"]}),
    ]


def test_users_without_a_usable_email_are_stored_but_not_sent(scim, aws):
    response = scim.post("/Users", user_body("jdoe", email=False, displayName="J. Doe"))
    assert response.status == 201
    assert scim.get(f"/Users/{response.json()['id']}").json()["displayName"] == "J. Doe"
    assert typed(aws) == []
    # a malformed email is refused outright by the User schema
    assert scim.post("/Users", user_body("kdoe", email="not-an-email")).json()["scimType"] == "invalidValue"
    # the userName is the email when it is one
    scim.post("/Users", user_body("ldoe@example.com", email=False))
    assert typed(aws)[0][1]["email"] == "ldoe@example.com"


def test_email_and_name_choice():
    emails = [
        {"type": "home", "value": "home@example.com"},
        {"type": "work", "value": "work@example.com"},
        {"type": "other", "value": "primary@example.com", "primary": True},
    ]
    assert user_email({"userName": "u", "emails": emails}) == "primary@example.com"
    assert user_email({"userName": "u", "emails": emails[:2]}) == "work@example.com"
    assert user_email({"userName": "u", "emails": emails[:1]}) == "home@example.com"
    assert user_email({"userName": "u@example.com", "emails": [{"value": "nope"}]}) == "u@example.com"
    assert user_email({"userName": "u"}) is None
    assert user_name({"displayName": "D", "name": {"formatted": "F"}}) == "D"
    assert user_name({"name": {"formatted": "F", "givenName": "G"}}) == "F"
    assert user_name({"name": {"givenName": "G", "familyName": "H"}}) == "G H"
    assert user_name({"name": {"familyName": "H"}}) == "H"
    assert user_name({"userName": "u"}) is None


def test_matching_groups_only(scim, aws, monkeypatch):
    monkeypatch.setenv("SCIM_GROUPS", "matching")
    monkeypatch.setenv("SCIM_GROUP_PATTERN", r"cord-.+")
    user_id = scim.post("/Users", user_body("m@example.com")).json()["id"]
    aws.events()
    other = scim.post("/Groups", group_body("Everyone", [user_id])).json()["id"]
    assert typed(aws) == []
    scim.patch(f"/Groups/{other}", patch_body({"op": "replace", "path": "displayName", "value": "cord-team"}))
    assert typed(aws) == [
        ("organization.upsert", {"id": other, "name": "cord-team", "status": "active", "members": [user_id]})
    ]
    scim.patch(f"/Groups/{other}", patch_body({"op": "replace", "path": "displayName", "value": "xcord-team"}))
    assert typed(aws) == [("organization.deactivate", {"id": other})]
    scim.delete(f"/Users/{user_id}")  # a group that is not an organization gets no membership event
    assert typed(aws) == [("user.deactivate", {"id": user_id})]


def test_no_groups_every_user_in_the_default_organization(scim, aws, monkeypatch):
    monkeypatch.setenv("SCIM_GROUPS", "none")
    monkeypatch.setenv("SCIM_DEFAULT_ORGANIZATION_ID", "acme")
    monkeypatch.setenv("SCIM_DEFAULT_ORGANIZATION_NAME", "Acme Inc.")
    user_id = scim.post("/Users", user_body("n@example.com")).json()["id"]
    assert typed(aws) == [
        ("user.upsert", {"id": user_id, "email": "n@example.com", "status": "active"}),
        ("organization.upsert", {"id": "acme", "name": "Acme Inc.", "status": "active"}),
        ("organization.members.add", {"id": "acme", "users": [user_id]}),
    ]
    group_id = scim.post("/Groups", group_body("Ignored", [user_id])).json()["id"]
    scim.delete(f"/Groups/{group_id}")
    assert typed(aws) == []
    scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "value": {"active": False}}))
    assert typed(aws) == [("user.deactivate", {"id": user_id})]
    scim.delete(f"/Users/{user_id}")
    assert typed(aws) == [
        ("user.deactivate", {"id": user_id}),
        ("organization.members.remove", {"id": "acme", "users": [user_id]}),
    ]


def test_group_id_sources(scim, aws, monkeypatch):
    monkeypatch.setenv("SCIM_GROUP_ID_SOURCE", "displayName")
    group_id = scim.post("/Groups", group_body("Design")).json()["id"]
    assert typed(aws)[0][1]["id"] == "Design"
    scim.patch(f"/Groups/{group_id}", patch_body({"op": "replace", "path": "displayName", "value": "Design Ops"}))
    assert typed(aws) == [
        ("organization.deactivate", {"id": "Design"}),
        ("organization.upsert", {"id": "Design Ops", "name": "Design Ops", "status": "active", "members": []}),
    ]
    monkeypatch.setenv("SCIM_GROUP_ID_SOURCE", "externalId")
    scim.post("/Groups", group_body("No external id"))
    assert typed(aws) == []
    scim.post("/Groups", group_body("With one", externalId="obj-1"))
    assert typed(aws)[0][1]["id"] == "obj-1"


def test_group_display_names_are_unique(scim):
    assert scim.post("/Groups", group_body("Unique")).status == 201
    duplicate = scim.post("/Groups", group_body("unique"))
    assert duplicate.status == 409
    assert duplicate.json()["scimType"] == "uniqueness"


def test_large_member_lists_are_chunked_under_the_sqs_limit():
    members = [f"{n:04d}-" + "u" * 123 for n in range(2500)]  # 128-character ids, the longest Cord takes
    events = Events()
    events.organization("big", "Big", members)
    types = [e["type"] for e in events.items]
    assert types == ["organization.upsert"] + ["organization.members.add"] * 3
    assert "members" not in events.items[0]["data"]
    chunks = [e["data"]["users"] for e in events.items[1:]]
    assert [len(c) for c in chunks] == [MEMBERS_CHUNK, MEMBERS_CHUNK, 500]
    assert sorted(user for chunk in chunks for user in chunk) == sorted(members)
    assert all(len(json.dumps(e).encode()) < 256 * 1024 for e in events.items)
    small = Events()
    small.organization("small", "Small", members[:MEMBERS_CHUNK])
    assert [e["type"] for e in small.items] == ["organization.upsert"]
    assert len(json.dumps(small.items[0]).encode()) < 256 * 1024


def test_deleting_a_nested_group_removes_it_from_its_parent(scim, aws):
    child = scim.post("/Groups", group_body("Child")).json()["id"]
    parent = scim.post("/Groups", group_body("Parent", [child])).json()["id"]
    # nested groups are kept in SCIM, but an organization's members are users only
    assert typed(aws)[-1] == (
        "organization.upsert",
        {"id": parent, "name": "Parent", "status": "active", "members": []},
    )
    assert scim.delete(f"/Groups/{child}").status == 204
    assert "members" not in scim.get(f"/Groups/{parent}").json()
    assert typed(aws) == [("organization.deactivate", {"id": child})]


def test_group_members_are_one_entry_per_value(scim, aws):
    a = scim.post("/Users", user_body("m1@example.com")).json()["id"]
    created = scim.post("/Groups", group_body("Dupes", [a, a]))
    assert [m["value"] for m in created.json()["members"]] == [a]
    group_id = created.json()["id"]
    # the same member again with other sub-attributes (Entra and Okta add `display`, `type`) is no second entry
    again = patch_body({"op": "Add", "path": "members", "value": [{"value": a, "display": "A", "type": "User"}]})
    assert [m["value"] for m in scim.patch(f"/Groups/{group_id}", again).json()["members"]] == [a]
    # a member needs a value, and a group cannot contain itself
    for members in ([{"display": "no value"}], [{"value": group_id}]):
        response = scim.patch(f"/Groups/{group_id}", patch_body({"op": "add", "path": "members", "value": members}))
        assert response.status == 400, members
        assert response.json()["scimType"] == "invalidValue"


def test_blank_names_are_refused(scim):
    user_id = scim.post("/Users", user_body("blank@example.com")).json()["id"]
    group_id = scim.post("/Groups", group_body("Named")).json()["id"]
    for path, attribute in ((f"/Users/{user_id}", "userName"), (f"/Groups/{group_id}", "displayName")):
        response = scim.patch(path, patch_body({"op": "replace", "path": attribute, "value": "   "}))
        assert response.status == 400, attribute
        assert response.json()["scimType"] == "invalidValue"
    assert scim.post("/Groups", group_body(" \t ")).status == 400
