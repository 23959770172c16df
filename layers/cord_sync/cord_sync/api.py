"""The Cord REST API, the identity subset cord-sync needs (cord-api.md, "What cord-sync targets").

Paths are the ones every era accepts: `/v1/users`, `/v1/organizations`, `/v1/batch` with the key
`organizations` (never `groups`). Success bodies are read loosely; errors are raised from the error tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from cord_sync.auth import Authenticator
from cord_sync.errors import REAUTH_CODES, AuthError, error_from_response
from cord_sync.http import NO_DEADLINE, Deadline, HttpTransport

MAX_BATCH_USERS = 10_000
MAX_BATCH_ORGANIZATIONS = 1_000


def _id(value: str) -> str:
    return quote(str(value), safe="")


class CordClient:
    """Explicitly configured: a transport bound to the API URL and an authenticator. Reads no environment."""

    def __init__(self, transport: HttpTransport, auth: Authenticator) -> None:
        self.transport = transport
        self.auth = auth

    @property
    def requests_sent(self) -> int:
        """HTTP requests made so far, /v1/authorize included (retries of one request count once)."""
        return self.transport.requests_sent

    def request(self, method: str, path: str, body: Any = None, *, deadline: Deadline = NO_DEADLINE) -> Any:
        """Send an authenticated request; returns the decoded body of a 2xx answer.

        An expired or refused token is renewed once (cache dropped, secret re-read); "not found" 401s
        are data errors and raise NotFoundError without touching the token.
        """
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.auth.bearer(deadline)}"}
            response = self.transport.request(method, path, json_body=body, headers=headers, deadline=deadline)
            if response.ok:
                return response.body
            error = error_from_response(response.status, response.body, response.text, method=method, path=path)
            if isinstance(error, AuthError) and error.error in REAUTH_CODES and attempt == 1:
                self.auth.reset()
                continue
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    # -- writes --------------------------------------------------------------------------------------
    def batch(
        self,
        users: Sequence[Mapping[str, Any]] = (),
        organizations: Sequence[Mapping[str, Any]] = (),
        *,
        deadline: Deadline = NO_DEADLINE,
    ) -> None:
        """POST /v1/batch: atomic upsert of up to 10,000 users and 1,000 organizations."""
        if len(users) > MAX_BATCH_USERS or len(organizations) > MAX_BATCH_ORGANIZATIONS:
            raise ValueError("a Cord batch holds at most 10,000 users and 1,000 organizations")
        body: dict[str, Any] = {}
        if users:
            body["users"] = list(users)
        if organizations:
            body["organizations"] = list(organizations)
        self.request("POST", "/v1/batch", body, deadline=deadline)

    def update_members(
        self,
        organization_id: str,
        *,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
        deadline: Deadline = NO_DEADLINE,
    ) -> None:
        """POST /v1/organizations/<id>/members: incremental membership change."""
        body: dict[str, list[str]] = {}
        if add := list(add):
            body["add"] = add
        if remove := list(remove):
            body["remove"] = remove
        self.request("POST", f"/v1/organizations/{_id(organization_id)}/members", body, deadline=deadline)

    def upsert_user(self, user_id: str, fields: Mapping[str, Any], *, deadline: Deadline = NO_DEADLINE) -> None:
        self.request("PUT", f"/v1/users/{_id(user_id)}", dict(fields), deadline=deadline)

    def upsert_organization(
        self, organization_id: str, fields: Mapping[str, Any], *, deadline: Deadline = NO_DEADLINE
    ) -> None:
        self.request("PUT", f"/v1/organizations/{_id(organization_id)}", dict(fields), deadline=deadline)

    # -- reads ---------------------------------------------------------------------------------------
    def get_user(self, user_id: str, *, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        return self.request("GET", f"/v1/users/{_id(user_id)}", deadline=deadline)

    def get_organization(self, organization_id: str, *, deadline: Deadline = NO_DEADLINE) -> dict[str, Any]:
        return self.request("GET", f"/v1/organizations/{_id(organization_id)}", deadline=deadline)

    def list_users(self, *, deadline: Deadline = NO_DEADLINE) -> list[dict[str, Any]]:
        """All users: follows `pagination.token` on newer servers, takes the plain array of older ones."""
        users: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            query = f"?token={quote(token, safe='')}" if token else ""
            body = self.request("GET", f"/v1/users{query}", deadline=deadline)
            if isinstance(body, list):
                return body
            users.extend(body.get("users", []))
            token = (body.get("pagination") or {}).get("token")
            if not token:
                return users

    def list_organizations(self, *, deadline: Deadline = NO_DEADLINE) -> list[dict[str, Any]]:
        body = self.request("GET", "/v1/organizations", deadline=deadline)
        return body if isinstance(body, list) else body.get("organizations", body.get("groups", []))
