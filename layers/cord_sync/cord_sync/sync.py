"""The sync core: validate, coalesce and apply a batch of canonical change events to Cord.

A batch costs as few Cord requests as it can:

1. Coalesce. Events are ordered by (time, position). Per user and per organization the changes fold into
   one entity change, field by field, so the newest word on each field wins. An organization's full
   `members` list absorbs later incremental adds and removes; incremental changes without a full list are
   kept as a net add/remove set.
2. One `POST /v1/batch` for all user and organization upserts and deactivations (split beyond 10,000 users,
   1,000 organizations or ~8 MB; users always before the organizations that may name them).
3. Users and organizations whose last word is "deleted" are sent deleted once more in a second batch: Cord
   creates new batch users (and, on newer servers, groups) active whatever their status, and servers since
   2023-08 create a user from a bare deactivation.
4. One `POST /v1/organizations/<id>/members` per organization with incremental changes, after the users.

`/v1/batch` is all-or-nothing. When Cord rejects one for its data, the batch is bisected (users before
organizations) until the offending entities are isolated: only their records fail. A deactivation of a user
or organization Cord does not know is a no-op, not a failure. Transient errors (transport, 429, 5xx after
the retries) fail the records concerned as retryable; auth and configuration errors fail everything.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cord_sync.api import MAX_BATCH_ORGANIZATIONS, MAX_BATCH_USERS, CordClient
from cord_sync.errors import (
    AuthError,
    ConfigurationError,
    CordError,
    CordSyncError,
    InvalidEventError,
    InvalidRequestError,
    NotFoundError,
)
from cord_sync.http import NO_DEADLINE, Deadline
from cord_sync.model import (
    MEMBERS_ADD,
    ORG_DEACTIVATE,
    ORG_UPSERT,
    USER_UPSERT,
    ChangeEvent,
    parse_message_body,
)
from cord_sync.observability import logger

MAX_BATCH_BYTES = 8 * 1024 * 1024  # Cord's JSON body limit is 10 MB
ORG_MISSING_CODES = frozenset({"organization_not_found", "group_not_found"})


class RecordFailedError(CordSyncError):
    """Raised for a record whose change could not be applied (feeds Powertools' partial batch response)."""


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str
    retryable: bool


@dataclass(slots=True)
class SyncReport:
    """What happened to a batch: per-record failures by record key, and counts."""

    received: int = 0
    invalid: int = 0
    applied: int = 0
    skipped: int = 0
    requests: int = 0
    failures: dict[str, Failure] = field(default_factory=dict)

    def fail(self, key: str, reason: str, *, retryable: bool) -> None:
        self.failures[key] = Failure(reason, retryable)

    def raise_for_record(self, record: Any) -> None:
        """Powertools record handler: raise for an SQS record whose change failed."""
        failure = self.failures.get(record.message_id)
        if failure is not None:
            raise RecordFailedError(failure.reason)


# -- coalescing ------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Entity:
    id: str
    fields: dict[str, Any] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    failure: Failure | None = None
    skipped: bool = False

    def entry(self) -> dict[str, Any]:
        return {"id": self.id, **self.fields}

    @property
    def only_deactivates(self) -> bool:
        return self.fields == {"status": "deleted"}

    @property
    def size(self) -> int:
        return len(json.dumps(self.entry(), separators=(",", ":"), ensure_ascii=False).encode()) + 1


@dataclass(slots=True)
class _MemberOp:
    key: str
    add: list[str]
    remove: list[str]
    failure: Failure | None = None
    skipped: bool = False


@dataclass(slots=True)
class _Organization(_Entity):
    member_ops: list[_MemberOp] = field(default_factory=list)

    @property
    def has_entry(self) -> bool:
        return bool(self.fields)

    def net_members(self) -> tuple[list[str], list[str]]:
        add: dict[str, None] = {}
        remove: dict[str, None] = {}
        for op in self.member_ops:
            for user in op.add:
                remove.pop(user, None)
                add[user] = None
            for user in op.remove:
                add.pop(user, None)
                remove[user] = None
        return list(add), list(remove)


@dataclass(slots=True)
class Plan:
    users: dict[str, _Entity] = field(default_factory=dict)
    organizations: dict[str, _Organization] = field(default_factory=dict)


def coalesce(events: Sequence[tuple[str, ChangeEvent]]) -> Plan:
    """Fold a batch of (record key, event) into one change per user and per organization."""
    plan = Plan()
    ordered = sorted(range(len(events)), key=lambda i: (events[i][1].time, i))
    for index in ordered:
        key, event = events[index]
        data = event.data
        if event.is_user_event:
            user = plan.users.setdefault(data["id"], _Entity(data["id"]))
            user.keys.append(key)
            if event.type == USER_UPSERT:
                user.fields.update((k, v) for k, v in data.items() if k != "id")
            else:
                user.fields["status"] = "deleted"
            continue
        org = plan.organizations.setdefault(data["id"], _Organization(data["id"]))
        if event.type == ORG_UPSERT:
            org.fields.update((k, v) for k, v in data.items() if k != "id")
            if "members" in data:  # a full list supersedes earlier incremental changes
                org.keys.extend(op.key for op in org.member_ops)
                org.member_ops.clear()
            org.keys.append(key)
        elif event.type == ORG_DEACTIVATE:
            org.fields["status"] = "deleted"
            org.keys.append(key)
        elif "members" in org.fields:  # fold into the full list the batch entry will carry
            members = dict.fromkeys(org.fields["members"])
            for user in data["users"]:
                if event.type == MEMBERS_ADD:
                    members[user] = None
                else:
                    members.pop(user, None)
            org.fields["members"] = list(members)
            org.keys.append(key)
        else:
            adding = event.type == MEMBERS_ADD
            users = list(data["users"])
            org.member_ops.append(_MemberOp(key, users if adding else [], [] if adding else users))
    return plan


def _chunks(entities: Sequence[_Entity], limit: int) -> Iterator[tuple[list[_Entity], int]]:
    """Consecutive chunks of at most `limit` entities and MAX_BATCH_BYTES, with their size in bytes."""
    chunk: list[_Entity] = []
    size = 0
    for entity in entities:
        entity_size = entity.size
        if chunk and (len(chunk) >= limit or size + entity_size > MAX_BATCH_BYTES):
            yield chunk, size
            chunk, size = [], 0
        chunk.append(entity)
        size += entity_size
    if chunk:
        yield chunk, size


def batch_calls(users: Sequence[_Entity], orgs: Sequence[_Entity]) -> list[tuple[list, list]]:
    """Split into /v1/batch calls: every user before the organizations, as few calls as the limits allow."""
    user_chunks = list(_chunks(users, MAX_BATCH_USERS))
    org_chunks = list(_chunks(orgs, MAX_BATCH_ORGANIZATIONS))
    calls: list[tuple[list, list]] = [(chunk, []) for chunk, _ in user_chunks]
    if calls and org_chunks and user_chunks[-1][1] + org_chunks[0][1] <= MAX_BATCH_BYTES:
        calls[-1] = (user_chunks[-1][0], org_chunks.pop(0)[0])
    calls.extend(([], chunk) for chunk, _ in org_chunks)
    return calls


# -- applying --------------------------------------------------------------------------------------------
def _failure(exc: CordError) -> Failure:
    return Failure(str(exc), exc.retryable)


class SyncEngine:
    """Applies batches of canonical events to Cord through a CordClient."""

    def __init__(self, client: CordClient) -> None:
        self.client = client

    def sync_messages(
        self, messages: Iterable[tuple[str, str | bytes]], *, deadline: Deadline = NO_DEADLINE
    ) -> SyncReport:
        """Parse and apply SQS-style messages given as (record key, body)."""
        report = SyncReport()
        events: list[tuple[str, ChangeEvent]] = []
        for key, body in messages:
            report.received += 1
            try:
                events.append((key, parse_message_body(body)))
            except InvalidEventError as exc:
                report.invalid += 1
                report.fail(key, f"invalid event: {exc.reason}", retryable=False)
                logger.warning("invalid change event", extra={"record": key, "reason": exc.reason})
        self._apply(events, report, deadline)
        return report

    def apply(self, events: Sequence[tuple[str, ChangeEvent]], *, deadline: Deadline = NO_DEADLINE) -> SyncReport:
        """Apply already-validated events given as (record key, event)."""
        report = SyncReport(received=len(events))
        self._apply(events, report, deadline)
        return report

    def _apply(self, events: Sequence[tuple[str, ChangeEvent]], report: SyncReport, deadline: Deadline) -> None:
        if not events:
            return
        before = self.client.requests_sent
        plan = coalesce(events)
        try:
            self._run(plan, deadline)
        except (AuthError, ConfigurationError) as exc:
            # Nothing can be applied without working credentials: fail every record, loudly.
            logger.error("cannot authenticate to Cord", extra={"reason": str(exc)})
            for key, _ in events:
                report.fail(key, f"cannot authenticate to Cord: {exc}", retryable=True)
            report.requests += self.client.requests_sent - before
            return
        report.requests += self.client.requests_sent - before
        by_key = dict(events)
        outcomes: list[tuple[list[str], Failure | None, bool, str]] = []
        for user in plan.users.values():
            outcomes.append((user.keys, user.failure, user.skipped, f"user {user.id}"))
        for org in plan.organizations.values():
            outcomes.append((org.keys, org.failure, org.skipped, f"organization {org.id}"))
            for op in org.member_ops:
                outcomes.append(([op.key], op.failure, op.skipped, f"members of organization {org.id}"))
        for keys, failure, skipped, what in outcomes:
            if failure is None:
                report.applied += len(keys)
                report.skipped += len(keys) if skipped else 0
                continue
            for key in keys:
                report.fail(key, failure.reason, retryable=failure.retryable)
                event = by_key[key]
                logger.warning(
                    "change not applied",
                    extra={
                        "record": key,
                        "event_id": event.id,
                        "event_type": event.type,
                        "entity": what,
                        "reason": failure.reason,
                        "retryable": failure.retryable,
                    },
                )

    def _run(self, plan: Plan, deadline: Deadline) -> None:
        users = list(plan.users.values())
        orgs = [org for org in plan.organizations.values() if org.has_entry]
        for user_chunk, org_chunk in batch_calls(users, orgs):
            self._send_batch(user_chunk, org_chunk, deadline)
        # Cord creates new batch users (and, since 2023-10, new groups) active whatever their status, and servers
        # since 2023-08 create a user from a bare deactivation: say "deleted" once more, now that they exist.
        gone_users = [u for u in users if u.failure is None and not u.skipped and u.fields.get("status") == "deleted"]
        gone_orgs = [o for o in orgs if o.failure is None and not o.skipped and o.fields.get("status") == "deleted"]
        if gone_users or gone_orgs:
            again_users = [_Entity(u.id, {"status": "deleted"}) for u in gone_users]
            again_orgs = [_Entity(o.id, {"status": "deleted"}) for o in gone_orgs]
            for user_chunk, org_chunk in batch_calls(again_users, again_orgs):
                self._send_batch(user_chunk, org_chunk, deadline)
            for entity, again in zip([*gone_users, *gone_orgs], [*again_users, *again_orgs], strict=True):
                entity.failure = again.failure
        for org in plan.organizations.values():
            if org.member_ops:
                self._send_members(org, deadline)

    def _send_batch(self, users: list[_Entity], orgs: list[_Entity], deadline: Deadline) -> None:
        if not users and not orgs:
            return
        try:
            self.client.batch([u.entry() for u in users], [o.entry() for o in orgs], deadline=deadline)
            return
        except AuthError:
            raise
        except CordError as exc:
            if exc.retryable:
                for entity in (*users, *orgs):
                    entity.failure = _failure(exc)
                return
            error = exc
        if len(users) + len(orgs) == 1:
            self._settle_single((users or orgs)[0], error, is_user=bool(users), deadline=deadline)
        elif users and orgs:  # users first: the organizations may name them
            self._send_batch(users, [], deadline)
            self._send_batch([], orgs, deadline)
        else:
            group = users or orgs
            half = len(group) // 2
            for part in (group[:half], group[half:]):
                self._send_batch(part if users else [], [] if users else part, deadline)

    def _settle_single(self, entity: _Entity, error: CordError, *, is_user: bool, deadline: Deadline) -> None:
        """One entity Cord rejects. Deactivating something Cord never had is a no-op, not a failure."""
        if entity.only_deactivates and isinstance(error, InvalidRequestError | NotFoundError):
            try:
                if is_user:
                    self.client.get_user(entity.id, deadline=deadline)
                else:
                    self.client.get_organization(entity.id, deadline=deadline)
            except NotFoundError:
                entity.skipped = True
                logger.info("deactivation of an id unknown to Cord skipped", extra={"entity": entity.id})
                return
            except AuthError:
                raise
            except CordError as exc:
                entity.failure = _failure(exc)
                return
        entity.failure = _failure(error)

    def _send_members(self, org: _Organization, deadline: Deadline) -> None:
        add, remove = org.net_members()
        try:
            self.client.update_members(org.id, add=add, remove=remove, deadline=deadline)
            return
        except AuthError:
            raise
        except CordError as exc:
            if (
                exc.retryable
                or len(org.member_ops) == 1
                or (isinstance(exc, NotFoundError) and exc.error in ORG_MISSING_CODES)
            ):
                for op in org.member_ops:
                    self._settle_member_op(op, exc)
                return
        for op in org.member_ops:  # isolate the offending records, in time order
            try:
                self.client.update_members(org.id, add=op.add, remove=op.remove, deadline=deadline)
            except AuthError:
                raise
            except CordError as exc:
                self._settle_member_op(op, exc)

    @staticmethod
    def _settle_member_op(op: _MemberOp, error: CordError) -> None:
        # Removing a user Cord does not know leaves them out of the organization: the goal is met.
        if not op.add and isinstance(error, NotFoundError) and error.error == "user_not_found":
            op.skipped = True
            return
        op.failure = _failure(error)
