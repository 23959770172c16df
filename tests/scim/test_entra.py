"""Microsoft Entra ID's provisioning conversation (idp-payloads §3.1-3.2), in both PATCH dialects."""

import pytest

from tests.scim.conftest import ENTERPRISE, GROUP_SCHEMA, USER_SCHEMA, patch_body


def entra_user(upn, mail_nickname):
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "externalId": mail_nickname,
        "userName": upn,
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": upn}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ada Lovelace", "familyName": "Lovelace", "givenName": "Ada"},
        "roles": [],
    }


def by_type(events):
    found = {}
    for event in events:
        found.setdefault(event["type"], []).append(event["data"])
    return found


def test_save_configuration_and_test_connection(scim):
    schemas = scim.get("/Schemas")
    assert schemas.status == 200
    ids = {s["id"] for s in schemas.json()["Resources"]}
    assert {USER_SCHEMA, ENTERPRISE, GROUP_SCHEMA} <= ids
    # the credential test asks for a random user and group: an empty list, not an error
    for path in ('/Users?filter=userName eq "7c0e5b3e-probe"', '/Groups?filter=displayName eq "probe"'):
        listing = scim.get(path)
        assert listing.status == 200
        assert listing.json()["totalResults"] == 0
        assert listing.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]


@pytest.mark.parametrize("dialect", ["default", "aadOptscim062020"])
def test_user_lifecycle(scim, aws, dialect):
    upn = "ada.lovelace@contoso.example"
    # match before create: nothing yet
    assert scim.get(f'/Users?filter=userName eq "{upn}"').json()["totalResults"] == 0
    assert scim.get('/Users?filter=externalId eq "ada"').json()["totalResults"] == 0

    created = scim.post("/Users", entra_user(upn, "ada"))
    assert created.status == 201
    assert created.headers["content-type"] == "application/scim+json"
    user = created.json()
    user_id = user["id"]
    assert created.headers["location"].endswith(f"/scim/v2/Users/{user_id}")
    assert user["meta"]["version"] == created.headers["etag"] == 'W/"1"'
    assert by_type(aws.events())["user.upsert"] == [
        {"id": user_id, "email": upn, "name": "Ada Lovelace", "short_name": "Ada", "status": "active"}
    ]

    # match again: found by userName (any case), by externalId and by the work email
    for query in (
        f'userName eq "{upn.upper()}"',
        'externalId eq "ada"',
        f'emails[type eq "work"].value eq "{upn}"',
        f'userName eq "{upn}" and active eq true',
    ):
        listing = scim.get("/Users?filter=" + query).json()
        assert listing["totalResults"] == 1, query
        assert listing["Resources"][0]["id"] == user_id

    # update: one op per path (default) or one pathless replace keyed by dotted paths (flag)
    if dialect == "default":
        update = patch_body(
            {"op": "Replace", "path": "name.givenName", "value": "Augusta"},
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "augusta@contoso.example"},
            {"op": "Add", "path": f"{ENTERPRISE}:employeeNumber", "value": "1815"},
        )
    else:
        update = patch_body(
            {
                "op": "replace",
                "value": {
                    "name.givenName": "Augusta",
                    'emails[type eq "work"].value': "augusta@contoso.example",
                    f"{ENTERPRISE}:employeeNumber": "1815",
                    "displayName": "Augusta Ada King",
                },
            }
        )
    patched = scim.patch(f"/Users/{user_id}", update)
    assert patched.status == 200, patched.json()
    body = patched.json()
    assert body["name"]["givenName"] == "Augusta"
    assert body["emails"] == [{"primary": True, "type": "work", "value": "augusta@contoso.example"}]
    assert body[ENTERPRISE]["employeeNumber"] == "1815"
    assert patched.headers["etag"] == 'W/"2"'
    upsert = by_type(aws.events())["user.upsert"][0]
    assert upsert["email"] == "augusta@contoso.example"
    assert upsert["short_name"] == "Augusta"

    # disable: the string "False" (default) or a boolean with a lower-case op (flag)
    disable = (
        {"op": "Replace", "path": "active", "value": "False"}
        if dialect == "default"
        else {"op": "replace", "path": "active", "value": False}
    )
    assert scim.patch(f"/Users/{user_id}", patch_body(disable)).json()["active"] is False
    assert by_type(aws.events()) == {"user.deactivate": [{"id": user_id}]}
    # the disabled user is still returned, by id and by filter
    assert scim.get(f"/Users/{user_id}").json()["active"] is False
    assert scim.get(f'/Users?filter=userName eq "{upn}"').json()["totalResults"] == 1

    # periodic re-assert of active=true re-enables
    enable = {"op": "Replace", "path": "active", "value": "True"}
    assert scim.patch(f"/Users/{user_id}", patch_body(enable)).json()["active"] is True
    assert by_type(aws.events())["user.upsert"][0]["status"] == "active"

    # hard delete after the soft-delete period
    assert scim.delete(f"/Users/{user_id}").status == 204
    assert by_type(aws.events()) == {"user.deactivate": [{"id": user_id}]}
    assert scim.get(f"/Users/{user_id}").status == 404


@pytest.mark.parametrize("dialect", ["default", "aadOptscim062020"])
def test_group_lifecycle(scim, aws, dialect):
    alice = scim.post("/Users", entra_user("alice@contoso.example", "alice")).json()["id"]
    bob = scim.post("/Users", entra_user("bob@contoso.example", "bob")).json()["id"]
    aws.events()

    # group match, then create with the Entra object id as externalId
    assert (
        scim.get('/Groups?excludedAttributes=members&filter=displayName eq "Engineering"').json()["totalResults"] == 0
    )
    created = scim.post(
        "/Groups",
        {
            "schemas": [GROUP_SCHEMA],
            "externalId": "8e1a2c4d-entra-object-id",
            "displayName": "Engineering",
            "members": [],
        },
    )
    assert created.status == 201
    group_id = created.json()["id"]
    assert by_type(aws.events()) == {
        "organization.upsert": [{"id": group_id, "name": "Engineering", "status": "active", "members": []}]
    }
    found = scim.get('/Groups?excludedAttributes=members&filter=displayName eq "Engineering"').json()
    assert found["totalResults"] == 1
    assert "members" not in found["Resources"][0]

    # membership adds, one PATCH per change
    for user in (alice, bob):
        added = scim.patch(
            f"/Groups/{group_id}", patch_body({"op": "Add", "path": "members", "value": [{"value": user}]})
        )
        assert added.status == 200
    upserts = by_type(aws.events())["organization.upsert"]
    assert upserts[-1]["members"] == sorted([alice, bob])

    # member removal, per dialect
    if dialect == "default":
        remove = {"op": "Remove", "path": "members", "value": [{"value": alice}]}
    else:
        remove = {"op": "remove", "path": f'members[value eq "{alice}"]'}
    removed = scim.patch(f"/Groups/{group_id}", patch_body(remove))
    assert removed.status == 200
    assert [m["value"] for m in removed.json()["members"]] == [bob]
    assert by_type(aws.events())["organization.upsert"] == [
        {"id": group_id, "name": "Engineering", "status": "active", "members": [bob]}
    ]

    # rename
    renamed = scim.patch(f"/Groups/{group_id}", patch_body({"op": "Replace", "path": "displayName", "value": "R&D"}))
    assert renamed.json()["displayName"] == "R&D"
    assert by_type(aws.events())["organization.upsert"][0]["name"] == "R&D"

    # deleting a member user removes it from the group and from the organization
    assert scim.delete(f"/Users/{bob}").status == 204
    assert "members" not in scim.get(f"/Groups/{group_id}").json()
    assert by_type(aws.events()) == {
        "organization.members.remove": [{"id": group_id, "users": [bob]}],
        "user.deactivate": [{"id": bob}],
    }

    assert scim.delete(f"/Groups/{group_id}").status == 204
    assert by_type(aws.events()) == {"organization.deactivate": [{"id": group_id}]}


def test_entra_capitalised_attribute_names_are_accepted(scim, aws):
    # Entra's reference Postman collection sends "UserName", "Active", "Primary" capitalised
    created = scim.post(
        "/Users",
        {
            "UserName": "UserName123",
            "Active": True,
            "DisplayName": "BobIsAmazing",
            "schemas": [USER_SCHEMA],
            "externalId": "bob-ext",
            "emails": [{"Primary": True, "type": "work", "value": "testing@bob.example"}],
        },
    )
    assert created.status == 201, created.json()
    assert created.json()["userName"] == "UserName123"
    assert by_type(aws.events())["user.upsert"][0]["email"] == "testing@bob.example"
    found = scim.get('/Users?filter=DisplayName eq "BobIsAmazing"').json()
    assert found["totalResults"] == 1


def test_enterprise_manager_as_entra_sends_it(scim, aws):
    # Entra sends the manager with `value` only (no `$ref`) on create, and as a bare id string in PATCH
    boss = scim.post("/Users", entra_user("boss@contoso.example", "boss")).json()["id"]
    body = entra_user("emp@contoso.example", "emp")
    body[ENTERPRISE] = {"employeeNumber": "7", "manager": {"value": boss}}
    created = scim.post("/Users", body)
    assert created.status == 201, created.json()
    assert created.json()[ENTERPRISE]["manager"] == {"value": boss}
    user_id = created.json()["id"]
    assert scim.put(f"/Users/{user_id}", body).status == 200
    for update in (
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": "new-boss-id"},
        {"op": "replace", "value": {f"{ENTERPRISE}:manager": "new-boss-id"}},
    ):
        patched = scim.patch(f"/Users/{user_id}", patch_body(update))
        assert patched.status == 200, patched.json()
        assert patched.json()[ENTERPRISE]["manager"]["value"] == "new-boss-id"
    removed = scim.patch(f"/Users/{user_id}", patch_body({"op": "Remove", "path": f"{ENTERPRISE}:manager"}))
    assert "manager" not in removed.json()[ENTERPRISE]
    schema = scim.get(f"/Schemas/{ENTERPRISE}").json()
    manager = next(a for a in schema["attributes"] if a["name"] == "manager")
    assert {s["name"]: s["required"] for s in manager["subAttributes"]}["$ref"] is False


@pytest.mark.parametrize("op", ["Add", "Replace"])
def test_value_path_writes_create_the_missing_entry(scim, aws, op):
    # Entra writes `emails[type eq "work"].value` (and phone and address parts) even when no such entry exists yet
    body = entra_user("nowork@contoso.example", "nowork")
    body["emails"] = [{"type": "home", "value": "home@example.com"}]
    user_id = scim.post("/Users", body).json()["id"]
    aws.events()
    patched = scim.patch(
        f"/Users/{user_id}",
        patch_body(
            {"op": op, "path": 'emails[type eq "work"].value', "value": "work@contoso.example"},
            {"op": op, "path": 'phoneNumbers[type eq "mobile"].value', "value": "+1 555 0100"},
            {"op": op, "path": 'addresses[type eq "work"].locality', "value": "Redmond"},
            {"op": op, "path": 'addresses[type eq "work"].postalCode', "value": "98052"},
        ),
    )
    assert patched.status == 200, patched.json()
    user = patched.json()
    assert user["emails"] == [
        {"type": "home", "value": "home@example.com"},
        {"type": "work", "value": "work@contoso.example"},
    ]
    assert user["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]
    assert user["addresses"] == [{"type": "work", "locality": "Redmond", "postalCode": "98052"}]
    assert by_type(aws.events())["user.upsert"][0]["email"] == "work@contoso.example"
    # the same in the pathless dialect, and an existing entry is still replaced in place
    patched = scim.patch(
        f"/Users/{user_id}",
        patch_body({"op": "replace", "value": {'emails[type eq "work"].value': "w2@contoso.example"}}),
    )
    assert [e["value"] for e in patched.json()["emails"]] == ["home@example.com", "w2@contoso.example"]
    # a filter other than on `type` keeps RFC 7644's answer
    missing = scim.patch(
        f"/Users/{user_id}", patch_body({"op": op, "path": 'emails[value eq "nobody@x.io"].value', "value": "a@x.io"})
    )
    assert missing.status == 400
