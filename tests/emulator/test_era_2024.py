"""``era="2024"``: the open-source Cord server as it was at shutdown (cord-api.md §2, §3, §4, §6 right column).

Every test talks to an era-2024 emulator over real HTTP. The module's ``emu`` fixture replaces the package's, so
``app``, ``api`` (a fresh server token per request), ``anon`` and ``session_api`` all serve this era.
"""

import base64
import json
import signal
import time
import uuid

import pytest

from cord_emulator import App, CordEmulator

from .helpers import Ago, Api, sign
from .test_cli import launch, stop

pytestmark = pytest.mark.network

USERS_DOCS = "\nRefer to https://docs.cord.com/rest-apis/users/"
GROUPS_DOCS = "\nRefer to https://docs.cord.com/rest-apis/groups/"
BATCH_DOCS = "\nRefer to https://docs.cord.com/rest-apis/batch/"


@pytest.fixture(scope="module")
def emu():
    with CordEmulator(host="127.0.0.1", port=0, era="2024") as emulator:
        emulator.add_app()
        yield emulator


def created(what):
    return {"success": True, "message": f"✅ You successfully {what}"}


def token_of(last_id):
    return base64.b64encode(json.dumps({"externalID": last_id}, separators=(",", ":")).encode()).decode()


class TestConfiguration:
    def test_default_era_is_2022_with_the_early_max_age(self):
        emulator = CordEmulator()

        assert (emulator.era, emulator.max_token_age) == ("2022", 60)

    def test_era_2024_defaults_to_a_day_of_max_age_unless_given(self, emu):
        assert (emu.era, emu.max_token_age) == ("2024", 86400)
        assert CordEmulator(era="2024", max_token_age=60).max_token_age == 60

    def test_unknown_era(self):
        with pytest.raises(ValueError, match="2022, 2024"):
            CordEmulator(era="2023")

    def test_cli_era_flag(self, pool):
        process, announced = launch("--era", "2024")
        try:
            app = App(announced["CORD_APP_ID"], announced["CORD_APP_SECRET"])
            client = Api(pool, announced["CORD_API_URL"], sign(app))
            reply = client.put("/v1/users/u1", {})
        finally:
            output = stop(process, signal.SIGTERM)

        assert (reply.status, reply.json) == (200, created("created user u1"))
        assert process.returncode == 0 and "stopped" in output


class TestServerTokens:
    def test_an_old_token_without_exp_is_accepted_for_a_day(self, anon, app):
        assert anon.get("/v1/users", auth=f"Bearer {sign(app, iat=Ago(23 * 3600), exp=None)}").status == 200
        reply = anon.get("/v1/users", auth=f"Bearer {sign(app, iat=Ago(86400) - 60, exp=None)}")
        assert (reply.status, *reply.error) == (401, "invalid_project_token", "TokenExpiredError: maxAge exceeded")

    def test_project_id_names_the_project(self, anon, app):
        assert anon.get("/v1/users", auth=f"Bearer {sign(app, app_id=None, project_id=app.app_id)}").status == 200

    def test_app_id_wins_over_project_id(self, anon, app):
        ok = sign(app, project_id=str(uuid.uuid4()))
        unknown = sign(app, app_id=str(uuid.uuid4()), project_id=app.app_id)

        assert anon.get("/v1/users", auth=f"Bearer {ok}").status == 200
        assert anon.get("/v1/users", auth=f"Bearer {unknown}").error == (
            "project_not_found",
            "Platform project not found.",
        )

    @pytest.mark.parametrize(
        ("claims", "error", "message"),
        [
            (
                {"app_id": None},
                "invalid_project_token",
                "Please include the project_id if you are authorizing directly with a non-Cord signed token.",
            ),
            (
                {"app_id": None, "project_id": "nope"},
                "invalid_project_token",
                "Input type for project_id is not valid, expected UUID.",
            ),
            (
                {"nbf": Ago(0)},
                "invalid_project_token",
                "Authorization token payload invalid, must contain only project_id.",
            ),
            ({"app_id": str(uuid.uuid4())}, "project_not_found", "Platform project not found."),
            ({"secret": "w" * 64}, "invalid_project_token", "JsonWebTokenError: invalid signature"),
        ],
        ids=["no-id", "not-uuid", "extra-claim", "unknown-project", "bad-signature"],
    )
    def test_errors_use_the_project_names(self, anon, app, claims, error, message):
        reply = anon.get("/v1/users", auth=f"Bearer {sign(app, **claims)}")

        assert (reply.status, *reply.error) == (401, error, message)

    def test_header_errors_are_unchanged(self, anon):
        assert anon.get("/v1/users").error == (
            "missing_authorization_header",
            "Authorization header bearer token must be present.",
        )
        assert anon.get("/v1/users", auth="bearer x").error == (
            "invalid_authorization_header",
            "Expecting a token with a Bearer prefix.",
        )


class TestAuthorize:
    def test_exchange_still_works(self, session_api):
        assert session_api.get("/v1/users").status == 200

    def test_only_app_id_is_accepted(self, anon, app):
        reply = anon.post("/v1/authorize", {"signed_app_token": sign(app, app_id=None, project_id=app.app_id)})

        assert (reply.status, *reply.error) == (
            401,
            "invalid_project_token",
            "signed_app_token payload is missing app_id.",
        )

    def test_unknown_project(self, anon):
        reply = anon.post("/v1/authorize", {"signed_app_token": sign(None)})

        assert (reply.status, *reply.error) == (401, "project_not_found", "Platform project not found.")

    def test_revoked_access_token(self, emu, session_api):
        emu.revoke_access_tokens()

        assert session_api.get("/v1/users").error == ("expired_access_token", "Access token has been revoked.")

    def test_expired_access_jwt_falls_through_to_the_project_token_path(self, pool):
        with CordEmulator(era="2024", access_token_ttl=0) as emulator:
            app = emulator.add_app()
            anon = Api(pool, emulator.url)
            access = anon.post("/v1/authorize", {"signed_app_token": sign(app)}).json["access_token"]
            time.sleep(1.1)

            reply = anon.get("/v1/users", auth=f"Bearer {access}")

        assert (reply.status, *reply.error) == (
            401,
            "invalid_project_token",
            "Please include the project_id if you are authorizing directly with a non-Cord signed token.",
        )


class TestValidation:
    def test_all_problems_in_one_invalid_request(self, api, emu, app):
        reply = api.put(
            "/v1/users/u1",
            {"email": "nope", "foo": 1, "status": "gone", "name": 7, "metadata": {"a": {"b": 1}}, "bar": 2},
        )

        assert (reply.status, *reply.error) == (
            400,
            "invalid_request",
            "Invalid UpdatePlatformUserVariables:\n"
            "Input 7 for name must be type null or string,\n"
            'Input {"b":1} for metadata/a must be type string or number or boolean,\n'
            'Input "gone" for status must be equal to one of the allowed values: active or deleted,\n'
            'Input "nope" for email must match format "email",\n'
            'Input {"email":"nope","foo":1,"status":"gone","name":7,"metadata":{"a":{"b":1}},"bar":2} '
            "has unexpected fields: foo and bar." + USERS_DOCS,
        )
        assert emu.users(app.app_id) == {}

    def test_top_level_array(self, api):
        reply = api.put("/v1/groups/g1", [])

        assert reply.error == (
            "invalid_request",
            "Invalid UpdatePlatformGroupVariables:\nExpected JSON object." + GROUPS_DOCS,
        )

    def test_required_fields_and_identifier_lengths(self, api):
        reply = api.post(
            "/v1/batch", {"users": [{"name": "x"}, {"id": ""}], "groups": [{"id": "g", "members": [True]}]}
        )

        assert reply.error == (
            "invalid_request",
            "Invalid BatchAPIVariables:\n"
            'Input "" for users/1/id must NOT have fewer than 1 characters,\n'
            "Input true for groups/0/members/0 must be type string or number,\n"
            'Input {"name":"x"} requires field: id.' + BATCH_DOCS,
        )

    def test_array_size(self, api, emu, app):
        reply = api.post("/v1/batch", {"users": [{"id": f"u{index}"} for index in range(10_001)]})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_request",
            "Invalid BatchAPIVariables:\nInput has 10001 items and must NOT have more than 10000 items." + BATCH_DOCS,
        )
        assert emu.users(app.app_id) == {}

    def test_user_update_needs_no_id_in_the_body(self, api):
        assert api.put("/v1/users/u1", {"id": "u1"}).error == (
            "invalid_request",
            'Invalid UpdatePlatformUserVariables:\nInput {"id":"u1"} has unexpected field: id.' + USERS_DOCS,
        )

    def test_path_ids_keep_their_own_checks(self, api):
        assert api.put("/v1/users/cord:x", {}).error == (
            "invalid_field",
            "Input type for userID is not valid, expected identifier.",
        )
        assert api.post("/v1/users", {"id": "cord:x"}).error == (
            "invalid_field",
            "Input type for id is not valid, expected identifier.",
        )


class TestUsers:
    def test_email_is_not_required_anywhere(self, api, emu, app):
        assert api.put("/v1/users/a", None).json == created("created user a")
        assert api.put("/v1/users/a", {"name": "A"}).json == created("updated user a")
        assert (api.post("/v1/users", {"id": 7}).status, api.post("/v1/users", {"id": "b"}).json) == (
            201,
            created("created user b"),
        )
        assert api.post("/v1/batch", {"users": [{"id": "c"}]}).status == 200
        assert sorted(emu.users(app.app_id)) == ["7", "a", "b", "c"]

    def test_camel_case_and_metadata(self, api, emu, app):
        reply = api.put(
            "/v1/users/u1",
            {
                "shortName": "camel",
                "short_name": "snake",
                "profilePictureURL": "https://x.io/camel.png",
                "profile_picture_url": "https://x.io/snake.png",
                "metadata": {"team": "a", "level": 3, "admin": True},
                "first_name": "ignored",
            },
        )

        assert reply.status == 200
        assert api.get("/v1/users/u1").json == {
            "id": "u1",
            "email": None,
            "status": "active",
            "name": None,
            "shortName": "camel",
            "short_name": "camel",
            "first_name": None,
            "last_name": None,
            "profilePictureURL": "https://x.io/camel.png",
            "profile_picture_url": "https://x.io/camel.png",
            "organizations": [],
            "groups": [],
            "metadata": {"team": "a", "level": 3, "admin": True},
            "groupIDsWithLinkedSlackProfile": [],
        }
        assert emu.users(app.app_id)["u1"]["metadata"] == {"team": "a", "level": 3, "admin": True}

    def test_update_ignores_null_name_email_and_short_name(self, api, emu, app):
        api.put("/v1/users/u1", {"email": "a@example.com", "name": "A", "short_name": "a"})

        api.put("/v1/users/u1", {"email": None, "name": None, "short_name": None, "metadata": {"k": "v"}})
        api.put("/v1/users/u1", {"email": ""})

        user = emu.users(app.app_id)["u1"]
        assert (user["email"], user["name"], user["short_name"], user["metadata"]) == (
            "a@example.com",
            "A",
            "a",
            {"k": "v"},
        )

    def test_add_and_remove_groups(self, api, emu, app):
        api.post(
            "/v1/batch", {"users": [{"id": "u1"}], "groups": [{"id": "g1", "name": "G1"}, {"id": "g2", "name": "G2"}]}
        )

        assert api.put("/v1/users/u1", {"addGroups": ["g1", "g2"]}).status == 200
        assert api.put("/v1/users/u1", {"removeGroups": ["g1"]}).status == 200
        assert emu.users(app.app_id)["u1"]["organizations"] == ["g2"]
        assert api.put("/v1/users/u1", {"addGroups": ["g1"], "removeGroups": ["g1"]}).error == (
            "invalid_field",
            "Adding and removing the same group is invalid.",
        )
        reply = api.put("/v1/users/u2", {"addGroups": ["nope"]})
        assert (reply.status, *reply.error) == (401, "group_not_found", "Group nope not found.")
        assert "u2" not in emu.users(app.app_id)

    def test_list_is_paginated_by_id(self, api):
        api.post("/v1/batch", {"users": [{"id": user_id} for user_id in ("c", "a", "d", "b")]})

        first = api.get("/v1/users?limit=3").json
        second = api.get(f"/v1/users?limit=3&token={first['pagination']['token']}").json
        everything = api.get("/v1/users").json

        assert [user["id"] for user in first["users"]] == ["a", "b", "c"]
        assert first["pagination"] == {"token": token_of("c"), "total": 4}
        assert second == {"users": second["users"], "pagination": {"token": None, "total": 4}}
        assert [user["id"] for user in second["users"]] == ["d"]
        assert everything["pagination"] == {"token": None, "total": 4}
        assert set(everything["users"][0]) == {
            "id",
            "email",
            "status",
            "name",
            "shortName",
            "short_name",
            "first_name",
            "last_name",
            "profilePictureURL",
            "profile_picture_url",
            "metadata",
            "createdTimestamp",
        }

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ("limit=many", "Limit must be a number."),
            ("limit=1&limit=2", "Limit must be a number."),
            ("token=%%%", "Pagination token is not valid"),
            (f"token={base64.b64encode(b'{}').decode()}", "Pagination token is not valid"),
            ("filter=%7B%22foo%22%3A1%7D", 'The filter object does not support "foo" as a field.'),
        ],
    )
    def test_list_query_errors(self, api, query, message):
        reply = api.get(f"/v1/users?{query}")

        assert (reply.status, *reply.error) == (400, "invalid_field", message)

    def test_list_filters_on_metadata(self, api):
        api.put("/v1/users/a", {"metadata": {"team": "x", "n": 1}})
        api.put("/v1/users/b", {"metadata": {"team": "y"}})

        reply = api.get("/v1/users?filter=%7B%22metadata%22%3A%7B%22team%22%3A%22x%22%7D%7D")

        assert [user["id"] for user in reply.json["users"]] == ["a"]
        assert reply.json["pagination"]["total"] == 1

    def test_delete_permanently(self, api, emu, app):
        api.post(
            "/v1/batch",
            {"users": [{"id": "u1"}, {"id": "u2"}], "groups": [{"id": "g", "name": "G", "members": ["u1", "u2"]}]},
        )

        reply = api.request("DELETE", "/v1/users/u1", {"permanently_delete": True})

        assert (reply.status, reply.json) == (
            200,
            {"success": True, "message": "User deleted.", "userID": "u1", "failedDeletionFileIDs": []},
        )
        assert list(emu.users(app.app_id)) == ["u2"]
        assert emu.organizations(app.app_id)["g"]["members"] == ["u2"]

    @pytest.mark.parametrize(
        ("body", "status", "error", "message"),
        [
            ({"permanently_delete": True}, 401, "invalid_user_id", "Invalid user id: ghost."),
            ({"permanently_delete": False}, 400, "invalid_request", "Invalid request."),
            (
                None,
                400,
                "invalid_request",
                "Invalid DeleteUserVariables:\nInput {} requires field: permanently_delete." + USERS_DOCS,
            ),
        ],
        ids=["unknown", "false", "missing"],
    )
    def test_delete_errors(self, api, body, status, error, message):
        reply = api.request("DELETE", "/v1/users/ghost", body)

        assert (reply.status, *reply.error) == (status, error, message)


class TestGroups:
    @pytest.fixture
    def people(self, api):
        assert api.post("/v1/batch", {"users": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}).status == 200
        return api

    def test_groups_and_organizations_paths_share_the_data(self, people, emu, app):
        assert people.put("/v1/groups/g1", {"name": "One", "members": ["a"], "metadata": {"k": 1}}).json == created(
            "created group g1"
        )
        assert people.put("/v1/organizations/g1", {"members": ["b", "a"]}).json == created("updated group g1")

        expected = {
            "id": "g1",
            "name": "One",
            "status": "active",
            "members": ["a", "b"],
            "connectedToSlack": False,
            "metadata": {"k": 1},
        }
        assert people.get("/v1/groups/g1").json == expected
        assert people.get("/v1/organizations/g1").json == expected
        listed = [{"id": "g1", "name": "One", "status": "active", "connectedToSlack": False, "metadata": {"k": 1}}]
        assert people.get("/v1/groups").json == listed
        assert people.get("/v1/organizations").json == listed  # a plain array, no pagination
        assert emu.organizations(app.app_id)["g1"]["metadata"] == {"k": 1}

    def test_new_group_needs_a_name(self, api, emu, app):
        reply = api.put("/v1/groups/g1", {"members": []})

        assert (reply.status, *reply.error) == (
            400,
            "missing_field",
            "Invalid UpdatePlatformGroupVariables:\n"
            'Group does not exist, "name" is a required field to create a new group.',
        )
        assert emu.organizations(app.app_id) == {}

    def test_update_without_status_still_reactivates(self, api, emu, app):
        api.put("/v1/groups/g1", {"name": "One", "status": "deleted"})

        api.put("/v1/groups/g1", {"metadata": {"a": "b"}})

        assert emu.organizations(app.app_id)["g1"]["status"] == "active"

    def test_members_still_replace_and_unknown_members_are_401(self, people, emu, app):
        people.put("/v1/groups/g1", {"name": "One", "members": ["a", "b"]})

        people.put("/v1/groups/g1", {"members": ["c", "b"]})
        reply = people.put("/v1/groups/g1", {"members": ["a", "x", "y"]})

        assert (reply.status, *reply.error) == (401, "user_not_found", "Platform users x and y not found.")
        assert emu.organizations(app.app_id)["g1"]["members"] == ["b", "c"]

    def test_post_organizations_is_still_there(self, people, emu, app):
        reply = people.post("/v1/organizations", {"id": "o1", "name": "One", "members": ["a"], "metadata": {"m": True}})

        assert (reply.status, reply.json) == (201, created("created organization o1"))
        assert emu.organizations(app.app_id)["o1"]["metadata"] == {"m": True}
        assert people.post("/v1/organizations", {"id": "o1", "name": "One"}).error[0] == "organization_already_exists"
        assert people.post("/v1/organizations", {"id": "o2"}).error == (
            "invalid_request",
            'Invalid CreatePlatformOrganizationVariables:\nInput {"id":"o2"} requires field: name.',
        )

    def test_there_is_no_post_groups_nor_organization_members_list(self, api):
        for method, path in (("POST", "/v1/groups"), ("GET", "/v1/organizations/g1/members")):
            reply = api.request(method, path)
            assert (reply.status, reply.headers["Content-Type"]) == (404, "text/html; charset=utf-8")

    def test_unknown_group(self, api):
        assert (api.get("/v1/groups/nope").status, *api.get("/v1/organizations/nope").error) == (
            404,
            "group_not_found",
            "Platform group not found.",
        )
        reply = api.post("/v1/organizations/nope/members", {"add": ["a"]})
        assert (reply.status, *reply.error) == (
            401,
            "group_not_found",
            "Platform group nope not found. If you wanted to create a new group, add group_details to your request. "
            "Refer to https://docs.cord.com/reference/authentication#JSON-group-details for details.",
        )

    def test_members_endpoint(self, people, emu, app):
        people.put("/v1/groups/g1", {"name": "One", "members": ["a"]})

        assert people.post("/v1/groups/g1/members", {"add": ["b", "c"], "remove": ["a"]}).json == created(
            "updated group members"
        )
        assert emu.organizations(app.app_id)["g1"]["members"] == ["b", "c"]
        assert people.post("/v1/groups/g1/members", {"add": "b"}).error == (
            "invalid_request",
            'Invalid UpdatePlatformGroupMembersVariables:\nInput "b" for add must be type array.' + GROUPS_DOCS,
        )

    def test_members_list_is_paginated(self, people):
        people.put("/v1/groups/g1", {"name": "One", "members": ["a", "b", "c"]})

        first = people.get("/v1/groups/g1/members?limit=2").json
        rest = people.get(f"/v1/groups/g1/members?token={first['pagination']['token']}").json

        assert first["pagination"]["total"] == 3 and first["pagination"]["token"]
        assert json.loads(base64.b64decode(first["pagination"]["token"]))["externalID"] == first["users"][-1]["id"]
        assert rest["pagination"] == {"token": None, "total": 3}
        assert sorted(user["id"] for user in first["users"] + rest["users"]) == ["a", "b", "c"]
        assert set(rest["users"][0]) == {
            "id",
            "email",
            "status",
            "name",
            "shortName",
            "profilePictureURL",
            "metadata",
            "createdTimestamp",
        }
        assert people.get("/v1/groups/nope/members").error == ("group_not_found", "Platform group not found.")

    def test_hard_delete(self, people, emu, app):
        people.put("/v1/groups/g1", {"name": "One", "members": ["a"]})

        assert people.request("DELETE", "/v1/groups/g1").json == created("deleted group g1")
        assert emu.organizations(app.app_id) == {}
        assert emu.users(app.app_id)["a"]["organizations"] == []
        reply = people.request("DELETE", "/v1/organizations/g1")
        assert (reply.status, *reply.error) == (401, "group_not_found", "Platform group not found.")


class TestBatch:
    @pytest.mark.parametrize(
        ("body", "counts"),
        [
            ({}, "0 users and 0 groups"),
            ({"users": [{"id": "a"}]}, "1 user and 0 groups"),
            ({"users": [{"id": "a"}, {"id": "b"}], "groups": [{"id": "g", "name": "G"}]}, "2 users and 1 group"),
            ({"organizations": [{"id": "g", "name": "G"}, {"id": "h", "name": "H"}]}, "0 users and 2 groups"),
        ],
    )
    def test_success_message_counts(self, api, body, counts):
        reply = api.post("/v1/batch", body)

        assert (reply.status, reply.json) == (200, created(f"batch updated {counts}"))

    def test_new_users_are_active_whatever_status_says(self, api, emu, app):
        api.post(
            "/v1/batch", {"users": [{"id": "u1", "status": "deleted", "shortName": "ignored", "metadata": {"a": 1}}]}
        )

        user = emu.users(app.app_id)["u1"]
        assert (user["status"], user["short_name"], user["metadata"]) == ("active", None, {"a": 1})

    def test_existing_users_get_the_six_fields(self, api, emu, app):
        api.put("/v1/users/u1", {"email": "old@example.com", "name": "Old", "short_name": "o"})

        api.post(
            "/v1/batch",
            {"users": [{"id": "u1", "status": "deleted", "name": None, "email": "", "shortName": "camel"}]},
        )

        user = emu.users(app.app_id)["u1"]
        assert (user["status"], user["name"], user["email"], user["short_name"]) == (
            "deleted",
            None,
            "old@example.com",
            "o",
        )

    def test_groups_key_wins_over_organizations(self, api, emu, app):
        reply = api.post(
            "/v1/batch", {"groups": [{"id": "g", "name": "G"}], "organizations": [{"id": "ignored", "name": "I"}]}
        )

        assert reply.json == created("batch updated 0 users and 1 group")
        assert list(emu.organizations(app.app_id)) == ["g"]

    def test_new_group_needs_a_name_and_nothing_is_applied(self, api, emu, app):
        reply = api.post("/v1/batch", {"users": [{"id": "u1"}], "groups": [{"id": "b3"}]})

        assert (reply.status, *reply.error) == (
            400,
            "invalid_request",
            'Invalid CreatePlatformOrganizationVariables:\nInput {"id":"b3"} requires field: name.',
        )
        assert (emu.users(app.app_id), emu.organizations(app.app_id)) == ({}, {})

    def test_groups_are_created_active_and_existing_ones_keep_status(self, api, emu, app):
        api.put("/v1/groups/old", {"name": "Old", "status": "deleted"})

        api.post(
            "/v1/batch",
            {"groups": [{"id": "new", "name": "New", "status": "deleted"}, {"id": "old", "name": "Renamed"}]},
        )

        groups = emu.organizations(app.app_id)
        assert (groups["new"]["status"], groups["old"]["status"], groups["old"]["name"]) == (
            "active",
            "deleted",
            "Renamed",
        )

    def test_unknown_members_of_all_groups_in_one_error(self, api, emu, app):
        reply = api.post(
            "/v1/batch",
            {
                "users": [{"id": "u1"}],
                "groups": [
                    {"id": "g1", "name": "G1", "members": ["u1", "ghost", "u1"]},
                    {"id": "g2", "name": "G2", "members": ["spook", "ghost"]},
                ],
            },
        )

        assert (reply.status, *reply.error) == (401, "user_not_found", "Platform users ghost and spook not found.")
        assert (emu.users(app.app_id), emu.organizations(app.app_id)) == ({}, {})

    def test_duplicate_members_are_fine_in_a_batch(self, api, emu, app):
        reply = api.post(
            "/v1/batch", {"users": [{"id": "u1"}], "groups": [{"id": "g", "name": "G", "members": ["u1", "u1"]}]}
        )

        assert reply.status == 200
        assert emu.organizations(app.app_id)["g"]["members"] == ["u1"]
