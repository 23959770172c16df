"""POST /v1/batch: atomicity, limits, per-item validation paths, era quirks."""

import time

import pytest

pytestmark = pytest.mark.network


def users(count, start=0, **fields):
    return [{"id": f"u{index}", "email": f"u{index}@example.com", **fields} for index in range(start, start + count)]


class TestBatchApplies:
    def test_users_then_organizations_in_one_call(self, api, emu, app):
        reply = api.post(
            "/v1/batch",
            {
                "organizations": [{"id": "o1", "name": "One", "members": ["u0", "u1"]}],
                "users": users(2),
            },
        )

        assert (reply.status, reply.json) == (200, {"success": True})
        assert sorted(emu.users(app.app_id)) == ["u0", "u1"]
        assert emu.organizations(app.app_id)["o1"]["members"] == ["u0", "u1"]

    def test_empty_batch(self, api):
        assert (api.post("/v1/batch", {}).status, api.post("/v1/batch", {"users": [], "organizations": []}).status) == (
            200,
            200,
        )

    def test_new_users_are_active_whatever_status_says(self, api, emu, app):
        api.post("/v1/batch", {"users": users(1, status="deleted")})

        assert emu.users(app.app_id)["u0"]["status"] == "active"

    def test_existing_users_get_only_the_fields_sent(self, api, emu, app):
        api.put("/v1/users/u0", {"email": "old@example.com", "name": "Old", "short_name": "o"})

        api.post("/v1/batch", {"users": [{"id": "u0", "status": "deleted", "name": "New", "email": ""}]})

        user = emu.users(app.app_id)["u0"]
        assert (user["email"], user["name"], user["short_name"], user["status"]) == (
            "old@example.com",
            "New",
            "o",
            "deleted",
        )

    def test_existing_organization_keeps_status_when_omitted(self, api, emu, app):
        api.put("/v1/organizations/o1", {"name": "One", "status": "deleted"})

        api.post("/v1/batch", {"organizations": [{"id": "o1", "name": "Renamed"}]})

        assert emu.organizations(app.app_id)["o1"] == {
            "id": "o1",
            "name": "Renamed",
            "status": "deleted",
            "members": [],
        }

    def test_new_organization_status_is_honoured(self, api, emu, app):
        api.post("/v1/batch", {"organizations": [{"id": "o1", "name": "One", "status": "deleted"}]})

        assert emu.organizations(app.app_id)["o1"]["status"] == "deleted"

    def test_numeric_and_cord_prefixed_ids_are_accepted(self, api, emu, app):
        reply = api.post(
            "/v1/batch",
            {"users": [{"id": 5, "email": "n@example.com"}, {"id": "cord:x", "email": "c@example.com"}]},
        )

        assert reply.status == 200
        assert sorted(emu.users(app.app_id)) == ["5", "cord:x"]

    def test_ten_thousand_users_apply_quickly(self, api, emu, app):
        started = time.perf_counter()
        reply = api.post("/v1/batch", {"users": users(10_000)})
        elapsed = time.perf_counter() - started

        assert reply.status == 200
        assert len(emu.users(app.app_id)) == 10_000
        assert elapsed < 1.0


class TestBatchIsAtomic:
    def test_one_bad_user_applies_nothing(self, api, emu, app):
        api.put("/v1/users/u0", {"email": "keep@example.com"})

        reply = api.post(
            "/v1/batch",
            {
                "users": [*users(3, name="changed"), {"id": "u3", "email": "not an email"}],
                "organizations": [{"id": "o1", "name": "One"}],
            },
        )

        assert (reply.status, *reply.error) == (
            400,
            "invalid_field",
            "Input type for users/3/email is not valid, expected email.",
        )
        assert emu.users(app.app_id)["u0"]["name"] is None
        assert sorted(emu.users(app.app_id)) == ["u0"]
        assert emu.organizations(app.app_id) == {}

    def test_new_user_without_email(self, api, emu, app):
        reply = api.post("/v1/batch", {"users": [*users(2), {"id": "u2", "name": "No Mail"}]})

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required field: users/2/email.")
        assert emu.users(app.app_id) == {}

    def test_new_organization_without_name(self, api, emu, app):
        reply = api.post("/v1/batch", {"users": users(1), "organizations": [{"id": "o1", "members": ["u0"]}]})

        assert (reply.status, *reply.error) == (400, "missing_field", "Missing required field: organizations/0/name.")
        assert (emu.users(app.app_id), emu.organizations(app.app_id)) == ({}, {})

    def test_unknown_member_rolls_back_users_too(self, api, emu, app):
        reply = api.post(
            "/v1/batch",
            {
                "users": users(2),
                "organizations": [{"id": "o1", "name": "One", "members": ["u0", "ghost", "u1", "spook"]}],
            },
        )

        assert (reply.status, *reply.error) == (401, "user_not_found", "Platform users ghost and spook not found.")
        assert (emu.users(app.app_id), emu.organizations(app.app_id)) == ({}, {})


class TestBatchValidation:
    def test_groups_key_does_not_exist_in_this_era(self, api):
        reply = api.post("/v1/batch", {"groups": []})

        assert (reply.status, *reply.error) == (
            400,
            "unexpected_field",
            "groups is not a valid field name for this request. Expected 2 optional fields: users and organizations.",
        )

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"users": users(10_001)}, "Input has 10001 items and must NOT have more than 10000 items"),
            (
                {"organizations": [{"id": f"o{index}", "name": "x"} for index in range(1_001)]},
                "Input has 1001 items and must NOT have more than 1000 items",
            ),
        ],
        ids=["users", "organizations"],
    )
    def test_limits(self, api, emu, app, body, message):
        reply = api.post("/v1/batch", body)

        assert (reply.status, *reply.error) == (400, "invalid_field", message)
        assert (emu.users(app.app_id), emu.organizations(app.app_id)) == ({}, {})

    def test_limits_are_inclusive(self, api):
        assert (
            api.post("/v1/batch", {"organizations": [{"id": f"o{i}", "name": "x"} for i in range(1_000)]}).status == 200
        )

    @pytest.mark.parametrize(
        ("body", "error", "message"),
        [
            ({"users": {}}, "invalid_field", "Input type for users is not valid, expected array."),
            ({"users": ["u1"]}, "invalid_field", "Input type for users/0 is not valid, expected object."),
            ({"users": [{"email": "a@example.com"}]}, "missing_field", "Missing required field: users/0/id."),
            (
                {"users": [{"id": "u1", "email": "a@example.com", "shortName": "x"}]},
                "unexpected_field",
                "users/0/shortName is not a valid field name for this request. Expected 1 required field: id. "
                "7 optional fields: email, name, short_name, profile_picture_url, status, first_name and last_name.",
            ),
            (
                {"users": [{"id": "", "email": "a@example.com"}]},
                "invalid_field",
                "Input type for users/0/id is not valid, expected identifier.",
            ),
            (
                {"organizations": [{"id": "o1", "name": "x", "metadata": {}}]},
                "unexpected_field",
                "organizations/0/metadata is not a valid field name for this request. Expected 1 required field: id. "
                "3 optional fields: name, status and members.",
            ),
            (
                {"organizations": [{"id": "o1", "name": "x", "members": "u1"}]},
                "invalid_field",
                "Input type for organizations/0/members is not valid, expected array of identifiers.",
            ),
        ],
    )
    def test_item_errors_name_their_path(self, api, body, error, message):
        reply = api.post("/v1/batch", body)

        assert (reply.status, *reply.error) == (400, error, message)
