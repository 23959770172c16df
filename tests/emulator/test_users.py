"""Users: PUT upsert, POST create, GET one and list, field validation, identifier rules."""

import pytest

pytestmark = pytest.mark.network

USER_FIELDS_HINT = (
    "Expected 7 optional fields: email, name, short_name, profile_picture_url, status, first_name and last_name."
)


class TestPutUser:
    def test_create_then_read_back(self, api, emu, app):
        reply = api.put(
            "/v1/users/u1",
            {
                "email": "ada@example.com",
                "name": "Ada Lovelace",
                "short_name": "Ada",
                "profile_picture_url": "https://example.com/ada.png",
                "first_name": "ignored",
            },
        )

        assert (reply.status, reply.json) == (200, {"success": True})
        assert emu.users(app.app_id)["u1"] == {
            "id": "u1",
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "short_name": "Ada",
            "profile_picture_url": "https://example.com/ada.png",
            "status": "active",
            "organizations": [],
        }
        assert api.get("/v1/users/u1").json == {
            "id": "u1",
            "email": "ada@example.com",
            "status": "active",
            "name": "Ada Lovelace",
            "short_name": "Ada",
            "profile_picture_url": "https://example.com/ada.png",
            "first_name": None,
            "last_name": None,
            "organizations": [],
        }

    @pytest.mark.parametrize("body", [{"name": "No Mail"}, {"email": ""}, {"email": None}, None])
    def test_email_is_required_on_create(self, api, emu, app, body):
        reply = api.put("/v1/users/u1", body)

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required field: email.")
        assert emu.users(app.app_id) == {}

    def test_update_changes_only_the_fields_sent(self, api, emu, app):
        api.put(
            "/v1/users/u1",
            {"email": "a@example.com", "name": "A", "short_name": "a", "profile_picture_url": "https://x.io/a"},
        )

        reply = api.put("/v1/users/u1", {"email": "", "name": None, "short_name": None, "status": "deleted"})

        assert reply.status == 200
        user = emu.users(app.app_id)["u1"]
        assert (user["email"], user["name"], user["short_name"]) == ("a@example.com", "A", None)
        assert (user["profile_picture_url"], user["status"]) == ("https://x.io/a", "deleted")

    def test_status_honoured_on_create(self, api, emu, app):
        api.put("/v1/users/u1", {"email": "a@example.com", "status": "deleted"})

        assert emu.users(app.app_id)["u1"]["status"] == "deleted"

    def test_body_without_json_content_type_is_empty(self, api, emu, app):
        api.put("/v1/users/u1", {"email": "a@example.com", "name": "A"})

        reply = api.put("/v1/users/u1", raw=b'{"name": "B"}', headers={"Content-Type": "text/plain"})

        assert reply.status == 200
        assert emu.users(app.app_id)["u1"]["name"] == "A"

    @pytest.mark.parametrize("field", ["id", "metadata", "shortName", "profilePictureURL", "addGroups", "foo"])
    def test_unknown_and_camel_case_fields_are_unexpected(self, api, field):
        reply = api.put("/v1/users/u1", {"email": "a@example.com", field: "x"})

        assert (reply.status, *reply.error) == (
            400,
            "unexpected_field",
            f"{field} is not a valid field name for this request. {USER_FIELDS_HINT}",
        )

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("email", "not-an-email", "email"),
            ("email", 42, "email"),
            ("profile_picture_url", "not a url", "URL or null"),
            ("profile_picture_url", "/relative/path.png", "URL or null"),
            ("status", "inactive", "active or deleted"),
            ("name", 7, "string or null"),
            ("short_name", ["x"], "string or null"),
            ("last_name", {"a": 1}, "string or null"),
        ],
    )
    def test_invalid_values(self, api, emu, app, field, value, expected):
        reply = api.put("/v1/users/u1", {"email": "a@example.com", field: value})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            f"Input type for {field} is not valid, expected {expected}.",
        )
        assert emu.users(app.app_id) == {}

    def test_fields_are_checked_in_the_order_sent(self, api):
        reply = api.put("/v1/users/u1", {"status": "bad", "foo": 1})

        assert reply.error[0] == "invalid_field"

    @pytest.mark.parametrize("url", ["https://example.com/a b".replace(" ", "%20"), "data:image/png;base64,AAAA", None])
    def test_valid_urls(self, api, url):
        assert api.put("/v1/users/u1", {"email": "a@example.com", "profile_picture_url": url}).status == 200


class TestPathIdentifiers:
    @pytest.mark.parametrize(
        "raw_id",
        ["cord:abc", "x" * 321, "bell%07", "tab%09x", "private%EE%80%80use", "zero%E2%80%8Bwidth"],
        ids=["cord-prefix", "321-chars", "control", "tab", "private-use", "format-char"],
    )
    def test_invalid_ids_on_put(self, api, emu, app, raw_id):
        reply = api.put(f"/v1/users/{raw_id}", {"email": "a@example.com"})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            "Input type for userID is not valid, expected identifier.",
        )
        assert emu.users(app.app_id) == {}

    def test_invalid_id_on_get_is_invalid_request(self, api):
        reply = api.get("/v1/users/cord:abc")

        assert (reply.status, *reply.error) == (400, "invalid_request", "Invalid request.")

    @pytest.mark.parametrize(
        ("raw_id", "stored"),
        [
            ("x" * 320, "x" * 320),
            ("a%20b", "a b"),
            ("a%2Fb", "a/b"),
            ("%F0%9F%98%80", "\U0001f600"),
            ("Cord:abc", "Cord:abc"),
        ],
        ids=["320-chars", "space", "slash", "emoji", "capital-cord"],
    )
    def test_valid_ids_are_percent_decoded(self, api, emu, app, raw_id, stored):
        assert api.put(f"/v1/users/{raw_id}", {"email": "a@example.com"}).status == 200
        assert list(emu.users(app.app_id)) == [stored]
        assert api.get(f"/v1/users/{raw_id}").json["id"] == stored

    def test_trailing_slash_and_case_insensitive_route(self, api, emu, app):
        assert api.put("/V1/Users/MixedCase/", {"email": "a@example.com"}).status == 200
        assert list(emu.users(app.app_id)) == ["MixedCase"]


class TestPostUser:
    def test_create(self, api, emu, app):
        reply = api.post("/v1/users", {"id": "u1", "email": "", "status": "deleted", "name": "N"})

        assert (reply.status, reply.json) == (201, {"success": True})
        user = emu.users(app.app_id)["u1"]
        assert (user["email"], user["status"], user["name"]) == ("", "deleted", "N")

    def test_numeric_id_is_stringified(self, api, emu, app):
        assert api.post("/v1/users", {"id": 42, "email": "a@example.com"}).status == 201
        assert list(emu.users(app.app_id)) == ["42"]

    def test_missing_fields(self, api):
        reply = api.post("/v1/users", {"name": "x"})

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required fields: id and email.")

    def test_unexpected_field_lists_required_and_optional(self, api):
        reply = api.post("/v1/users", {"id": "u1", "email": "a@example.com", "metadata": {}})

        assert reply.error == (
            "unexpected_field",
            "metadata is not a valid field name for this request. Expected 2 required fields: id and email. "
            "6 optional fields: name, short_name, profile_picture_url, status, first_name and last_name.",
        )

    @pytest.mark.parametrize("bad_id", ["cord:x", "", "x" * 129, True, None])
    def test_id_must_be_an_identifier(self, api, bad_id):
        reply = api.post("/v1/users", {"id": bad_id, "email": "a@example.com"})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            "Input type for id is not valid, expected identifier.",
        )

    def test_duplicate_is_409(self, api):
        api.post("/v1/users", {"id": "u1", "email": "a@example.com"})

        reply = api.post("/v1/users", {"id": "u1", "email": "b@example.com"})

        assert (reply.status, *reply.error) == (
            409,
            "user_already_exists",
            "The platform user with id u1 already exists, to update user please make a PUT request to users/<USER_ID>.",
        )


class TestGetUsers:
    def test_unknown_user_is_404(self, api):
        reply = api.get("/v1/users/nobody")

        assert (reply.status, *reply.error) == (404, "user_not_found", "Platform user not found.")

    def test_organizations_lists_only_active_ones(self, api):
        api.put("/v1/users/u1", {"email": "a@example.com"})
        api.put("/v1/organizations/o2", {"name": "Two", "members": ["u1"]})
        api.put("/v1/organizations/o1", {"name": "One", "members": ["u1"]})
        api.put("/v1/organizations/o3", {"name": "Gone", "members": ["u1"], "status": "deleted"})

        assert api.get("/v1/users/u1").json["organizations"] == ["o1", "o2"]

    def test_list_is_a_sorted_plain_array_including_deleted_users(self, api):
        api.put("/v1/users/b", {"email": "b@example.com", "status": "deleted"})
        api.put("/v1/users/a", {"email": "a@example.com"})

        reply = api.get("/v1/users?limit=1")

        assert reply.status == 200
        assert [(user["id"], user["status"]) for user in reply.json] == [("a", "active"), ("b", "deleted")]
        assert set(reply.json[0]) == {
            "id",
            "email",
            "status",
            "name",
            "short_name",
            "profile_picture_url",
            "first_name",
            "last_name",
        }
