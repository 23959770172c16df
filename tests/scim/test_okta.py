"""Okta's SCIM conversation (idp-payloads §4): connection test, match, create, PATCH and PUT styles, group push."""

from tests.scim.conftest import GROUP_SCHEMA, USER_SCHEMA, patch_body


def okta_user(login, *, active=True, given="Ines", family="Okta"):
    return {
        "schemas": [USER_SCHEMA],
        "userName": login,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": True, "value": login, "type": "work"}],
        "displayName": f"{given} {family}",
        "locale": "en-US",
        "externalId": "00u1abcd2EFGH3ijk4x7",
        "groups": [],
        "password": "t1meMa$heen",
        "active": active,
    }


def events_of(aws, type_):
    return [e["data"] for e in aws.events() if e["type"] == type_]


def test_connection_test_pages_users(scim):
    probe = scim.get("/Users?startIndex=1&count=2")
    assert probe.status == 200
    assert probe.json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 0,
        "itemsPerPage": 0,
        "startIndex": 1,
        "Resources": [],
    }


def test_oin_app_user_lifecycle_with_patch(scim, aws):
    login = "ines@okta.example"
    assert scim.get(f'/Users?filter=userName eq "{login}"&startIndex=1&count=100').json()["totalResults"] == 0
    created = scim.post("/Users", okta_user(login))
    assert created.status == 201
    user = created.json()
    assert "password" not in user  # write-only, and not even kept
    user_id = user["id"]
    assert events_of(aws, "user.upsert") == [
        {"id": user_id, "email": login, "name": "Ines Okta", "short_name": "Ines", "status": "active"}
    ]
    # a second create for the same login is a conflict
    again = scim.post("/Users", okta_user(login.upper()))
    assert again.status == 409
    assert again.json()["scimType"] == "uniqueness"
    # the same externalId: taken as a retry, so the stored user is sent to Cord again
    assert [e["id"] for e in events_of(aws, "user.upsert")] == [user_id]

    # profile change, then deactivation with a pathless replace and a real boolean
    renamed = scim.patch(
        f"/Users/{user_id}", patch_body({"op": "replace", "value": {"name": {"givenName": "Inès", "familyName": "O"}}})
    )
    assert renamed.status == 200
    assert renamed.json()["name"] == {"givenName": "Inès", "familyName": "O"}
    assert events_of(aws, "user.upsert")[0]["short_name"] == "Inès"
    deactivated = scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "value": {"active": False}}))
    assert deactivated.json()["active"] is False
    assert events_of(aws, "user.deactivate") == [{"id": user_id}]
    # reactivation
    scim.patch(f"/Users/{user_id}", patch_body({"op": "replace", "value": {"active": True}}))
    assert events_of(aws, "user.upsert")[0]["status"] == "active"


def test_custom_app_updates_with_put(scim, aws):
    login = "paul@okta.example"
    user = scim.post("/Users", okta_user(login, given="Paul")).json()
    aws.events()
    replacement = {**okta_user(login, given="Paul", family="Put"), "id": user["id"]}
    replaced = scim.put(f"/Users/{user['id']}", replacement)
    assert replaced.status == 200
    assert replaced.json()["name"]["familyName"] == "Put"
    assert replaced.headers["etag"] == 'W/"2"'
    assert events_of(aws, "user.upsert")[0]["name"] == "Paul Put"
    # a full replace with active false suspends
    suspended = scim.put(f"/Users/{user['id']}", {**replacement, "active": False})
    assert suspended.json()["active"] is False
    assert events_of(aws, "user.deactivate") == [{"id": user["id"]}]
    # the id is read-only: a PUT body carrying another one does not move the user
    moved = scim.put(f"/Users/{user['id']}", {**replacement, "id": "another-id"})
    assert moved.status == 200
    assert moved.json()["id"] == user["id"]
    assert scim.get("/Users/another-id").status == 404


def test_group_push(scim, aws):
    ids = [scim.post("/Users", okta_user(f"user{n}@okta.example")).json()["id"] for n in range(3)]
    aws.events()
    group = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "displayName": "Test SCIMv2",
            "members": [{"value": ids[0], "display": "user0@okta.example"}],
        },
    )
    assert group.status == 201
    group_id = group.json()["id"]
    assert events_of(aws, "organization.upsert") == [
        {"id": group_id, "name": "Test SCIMv2", "status": "active", "members": [ids[0]]}
    ]
    # Okta renames with a pathless replace that repeats the id
    renamed = scim.patch(
        f"/Groups/{group_id}",
        patch_body({"op": "replace", "value": {"id": group_id, "displayName": "Test SCIMv2 renamed"}}),
    )
    assert renamed.status == 200, renamed.json()
    assert renamed.json()["displayName"] == "Test SCIMv2 renamed"
    # membership: remove one by filter path, add two
    changed = scim.patch(
        f"/Groups/{group_id}",
        patch_body(
            {"op": "remove", "path": f'members[value eq "{ids[0]}"]'},
            {"op": "add", "path": "members", "value": [{"value": ids[1], "display": "user1"}, {"value": ids[2]}]},
        ),
    )
    assert changed.status == 200
    assert sorted(m["value"] for m in changed.json()["members"]) == sorted(ids[1:])
    upserts = events_of(aws, "organization.upsert")
    assert upserts[-1] == {
        "id": group_id,
        "name": "Test SCIMv2 renamed",
        "status": "active",
        "members": sorted(ids[1:]),
    }
    # Okta pushes a full group with PUT too
    put = scim.put(
        f"/Groups/{group_id}",
        {"schemas": [GROUP_SCHEMA], "id": group_id, "displayName": "Test SCIMv2", "members": [{"value": ids[0]}]},
    )
    assert put.status == 200
    assert events_of(aws, "organization.upsert") == [
        {"id": group_id, "name": "Test SCIMv2", "status": "active", "members": [ids[0]]}
    ]
    assert scim.delete(f"/Groups/{group_id}").status == 204
    assert events_of(aws, "organization.deactivate") == [{"id": group_id}]


def test_put_without_active_keeps_the_stored_state(scim, aws):
    # Okta's custom (AIW) apps replace with PUT; a body that leaves `active` out neither suspends nor re-enables
    login = "omit@okta.example"
    user = scim.post("/Users", okta_user(login)).json()
    without_active = {k: v for k, v in okta_user(login, family="Later").items() if k != "active"}
    replaced = scim.put(f"/Users/{user['id']}", without_active)
    assert replaced.json()["active"] is True
    assert scim.patch(f"/Users/{user['id']}", patch_body({"op": "replace", "value": {"active": False}})).status == 200
    aws.events()
    replaced = scim.put(f"/Users/{user['id']}", {**without_active, "displayName": "Still Gone"})
    assert replaced.status == 200
    assert replaced.json()["active"] is False
    assert [e["type"] for e in aws.events()] == ["user.deactivate"]
    # an explicit value still wins
    assert scim.put(f"/Users/{user['id']}", {**without_active, "active": True}).json()["active"] is True
    assert [e["type"] for e in aws.events()] == ["user.upsert"]
