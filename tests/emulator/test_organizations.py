"""Organizations: PUT upsert, POST create, GET one and list, incremental membership updates."""

import pytest

pytestmark = pytest.mark.network

ORG_FIELDS_HINT = "Expected 3 optional fields: name, status and members."


@pytest.fixture
def people(api):
    for user_id in ("a", "b", "c"):
        assert api.put(f"/v1/users/{user_id}", {"email": f"{user_id}@example.com"}).status == 200
    return api


class TestPutOrganization:
    def test_create_with_members(self, people, emu, app):
        reply = people.put("/v1/organizations/o1", {"name": "One", "members": ["b", "a"]})

        assert (reply.status, reply.json) == (200, {"success": True})
        assert emu.organizations(app.app_id) == {
            "o1": {"id": "o1", "name": "One", "status": "active", "members": ["a", "b"]}
        }
        assert people.get("/v1/organizations/o1").json == {
            "id": "o1",
            "name": "One",
            "status": "active",
            "members": ["a", "b"],
        }

    @pytest.mark.parametrize("body", [{}, {"name": ""}, {"members": []}, {"status": "active"}])
    def test_name_required_on_create(self, api, emu, app, body):
        reply = api.put("/v1/organizations/o1", body)

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required field: name.")
        assert emu.organizations(app.app_id) == {}

    def test_unexpected_field_as_in_the_docs(self, api):
        reply = api.put("/v1/organizations/123", {"foo": "bar"})

        assert (reply.status, *reply.error) == (
            400,
            "unexpected_field",
            f"foo is not a valid field name for this request. {ORG_FIELDS_HINT}",
        )

    @pytest.mark.parametrize("field", ["metadata", "id", "connectedToSlack"])
    def test_later_fields_are_unexpected(self, api, field):
        assert api.put("/v1/organizations/o1", {"name": "x", field: {}}).error[0] == "unexpected_field"

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("name", None, "string"),
            ("status", "inactive", "active or deleted"),
            ("members", "a", "array of identifiers"),
            ("members", [""], "array of identifiers"),
            ("members", [True], "array of identifiers"),
        ],
    )
    def test_invalid_values(self, api, field, value, expected):
        reply = api.put("/v1/organizations/o1", {"name": "x", field: value})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            f"Input type for {field} is not valid, expected {expected}.",
        )

    def test_members_replace(self, people, emu, app):
        people.put("/v1/organizations/o1", {"name": "One", "members": ["a", "b"]})

        people.put("/v1/organizations/o1", {"members": ["c", "b"]})

        assert emu.organizations(app.app_id)["o1"]["members"] == ["b", "c"]

    def test_members_left_alone_when_omitted(self, people, emu, app):
        people.put("/v1/organizations/o1", {"name": "One", "members": ["a"]})

        people.put("/v1/organizations/o1", {"name": "Renamed"})

        assert emu.organizations(app.app_id)["o1"] == {
            "id": "o1",
            "name": "Renamed",
            "status": "active",
            "members": ["a"],
        }

    def test_numeric_members_are_stringified(self, api, emu, app):
        api.put("/v1/users/42", {"email": "n@example.com"})

        assert api.put("/v1/organizations/o1", {"name": "One", "members": [42]}).status == 200
        assert emu.organizations(app.app_id)["o1"]["members"] == ["42"]

    @pytest.mark.parametrize(
        ("members", "message"),
        [
            (["a", "x"], "Platform user x not found."),
            (["x", "a", "y"], "Platform users x and y not found."),
            (["x", "y", "z"], "Platform users x, y and z not found."),
            (["a", "a"], "Platform user  not found."),
        ],
        ids=["one", "two", "three", "duplicate"],
    )
    def test_unknown_members_are_401_and_nothing_applied(self, people, emu, app, members, message):
        people.put("/v1/organizations/o1", {"name": "One", "members": ["b"]})

        reply = people.put("/v1/organizations/o1", {"name": "Changed", "status": "deleted", "members": members})

        assert (reply.status, *reply.error) == (401, "user_not_found", message)
        assert emu.organizations(app.app_id)["o1"] == {"id": "o1", "name": "One", "status": "active", "members": ["b"]}

    def test_unknown_member_on_create_creates_nothing(self, api, emu, app):
        assert api.put("/v1/organizations/o1", {"name": "One", "members": ["ghost"]}).status == 401
        assert emu.organizations(app.app_id) == {}

    def test_update_without_status_reactivates(self, api, emu, app):
        api.put("/v1/organizations/o1", {"name": "One", "status": "deleted"})
        assert emu.organizations(app.app_id)["o1"]["status"] == "deleted"

        api.put("/v1/organizations/o1", {"name": "One again"})

        assert emu.organizations(app.app_id)["o1"]["status"] == "active"

    def test_invalid_path_id(self, api):
        reply = api.put("/v1/organizations/cord:o1", {"name": "x"})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            "Input type for orgID is not valid, expected identifier.",
        )


class TestPostOrganization:
    def test_create(self, people, emu, app):
        reply = people.post("/v1/organizations", {"id": 7, "name": "Seven", "members": ["a"], "status": "deleted"})

        assert (reply.status, reply.json) == (201, {"success": True})
        assert emu.organizations(app.app_id)["7"] == {"id": "7", "name": "Seven", "status": "deleted", "members": ["a"]}

    def test_missing_fields(self, api):
        assert api.post("/v1/organizations", {}).error == ("missing_field", "Missing required fields: id and name.")

    def test_duplicate_is_409(self, api):
        api.post("/v1/organizations", {"id": "o1", "name": "One"})

        reply = api.post("/v1/organizations", {"id": "o1", "name": "One"})

        assert (reply.status, *reply.error) == (
            409,
            "organization_already_exists",
            "The platform organization with id o1 already exists, to update organization please make a PUT request "
            "to organizations/<ORGANIZATION_ID>.",
        )

    def test_unknown_member(self, api, emu, app):
        reply = api.post("/v1/organizations", {"id": "o1", "name": "One", "members": ["ghost"]})

        assert (reply.status, *reply.error) == (401, "user_not_found", "Platform user ghost not found.")
        assert emu.organizations(app.app_id) == {}


class TestGetOrganizations:
    def test_unknown_is_404(self, api):
        reply = api.get("/v1/organizations/nope")

        assert (reply.status, *reply.error) == (404, "organization_not_found", "Platform organization not found.")

    def test_list_includes_deleted_without_members(self, people):
        people.put("/v1/organizations/o2", {"name": "Two", "status": "deleted", "members": ["a"]})
        people.put("/v1/organizations/o1", {"name": "One"})

        assert people.get("/v1/organizations").json == [
            {"id": "o1", "name": "One", "status": "active"},
            {"id": "o2", "name": "Two", "status": "deleted"},
        ]


class TestMembers:
    def test_add_and_remove(self, people, emu, app):
        people.put("/v1/organizations/o1", {"name": "One", "members": ["a"]})

        reply = people.post("/v1/organizations/o1/members", {"add": ["b", "c", "a"], "remove": []})
        assert (reply.status, reply.json) == (200, {"success": True})
        assert people.post("/v1/organizations/o1/members", {"remove": ["a", "a"]}).status == 200

        assert emu.organizations(app.app_id)["o1"]["members"] == ["b", "c"]

    def test_empty_body_is_a_no_op(self, people):
        people.put("/v1/organizations/o1", {"name": "One"})

        assert people.post("/v1/organizations/o1/members", {}).status == 200
        assert people.post("/v1/organizations/o1/members").status == 200

    def test_removing_a_non_member_is_a_no_op(self, people, emu, app):
        people.put("/v1/organizations/o1", {"name": "One", "members": ["a"]})

        assert people.post("/v1/organizations/o1/members", {"remove": ["b"]}).status == 200
        assert emu.organizations(app.app_id)["o1"]["members"] == ["a"]

    def test_unknown_organization_is_checked_before_the_body(self, api):
        reply = api.post("/v1/organizations/nope/members", {"foo": 1})

        assert (reply.status, *reply.error) == (
            401,
            "organization_not_found",
            "Platform organization nope not found. If you wanted to create a new organization, add "
            "organization_details to your request. Refer to "
            "https://docs.cord.com/reference/authentication#JSON-organization-details for details.",
        )

    def test_body_validation(self, people):
        people.put("/v1/organizations/o1", {"name": "One"})

        assert people.post("/v1/organizations/o1/members", {"foo": 1}).error == (
            "unexpected_field",
            "foo is not a valid field name for this request. Expected 2 optional fields: add and remove.",
        )
        assert people.post("/v1/organizations/o1/members", {"add": "a"}).error == (
            "invalid_field",
            "Input type for add is not valid, expected array of identifiers.",
        )

    def test_same_id_added_and_removed(self, people, emu, app):
        people.put("/v1/organizations/o1", {"name": "One"})

        reply = people.post("/v1/organizations/o1/members", {"add": ["a", "b"], "remove": ["b"]})

        assert (reply.status, *reply.error) == (400, "invalid_field", "Platform member b both added and removed.")
        assert emu.organizations(app.app_id)["o1"]["members"] == []

    @pytest.mark.parametrize("body", [{"add": ["a", "ghost"]}, {"remove": ["ghost"]}])
    def test_unknown_user_is_401_and_nothing_applied(self, people, emu, app, body):
        people.put("/v1/organizations/o1", {"name": "One"})

        reply = people.post("/v1/organizations/o1/members", body)

        assert (reply.status, *reply.error) == (
            401,
            "user_not_found",
            "Platform user ghost not found. If you wanted to create a new user, add user_details to your request. "
            "Refer to https://docs.cord.com/reference/authentication#JSON-user-details for details.",
        )
        assert emu.organizations(app.app_id)["o1"]["members"] == []
