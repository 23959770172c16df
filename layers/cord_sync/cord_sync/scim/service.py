"""The SCIM operations on Users and Groups: validate with scim2-models, write conditionally, publish to Cord.

Each write is one conditional write on the version read before it. Without If-Match a lost race is retried
from a fresh read (a PATCH is re-applied to the newer state); with If-Match it answers 412. After a successful
write the request's canonical events go to the sync queue; if that fails the change stays stored and the
client gets a 503. A retry re-sends the state: a PUT or PATCH that changes nothing re-sends the user, or the group
with its members; a retried POST answers 409 after re-sending the stored resource when its externalId is the same.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import ValidationError
from scim2_models import (
    Context,
    Error,
    InvalidValueException,
    Meta,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    SCIMException,
    ScimFilter,
    SearchRequest,
)
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator

from cord_sync import model
from cord_sync.errors import InvalidEventError
from cord_sync.observability import logger
from cord_sync.publish import PublishError
from cord_sync.scim import resources as rs
from cord_sync.scim.config import ScimConfig
from cord_sync.scim.mapping import MEMBERS_CHUNK, Events, group_cord_id, user_cord_id
from cord_sync.scim.store import NameTaken, ScimStore, Stored, VersionConflict

MAX_ATTEMPTS: Final = 5
SEARCH_KEYS: Final = ("filter", "startIndex", "count", "attributes", "excludedAttributes", "sortBy", "sortOrder")
ENDPOINTS: Final = {"User": "Users", "Group": "Groups"}


@dataclass
class Response:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class ConcurrentModification(Exception):
    """The resource kept changing under the request (MAX_ATTEMPTS lost races)."""


def _model(kind: str) -> Any:
    return rs.UserModel if kind == "User" else rs.GroupModel


def _unique(kind: str, doc: dict[str, Any]) -> str:
    return str(doc.get("userName" if kind == "User" else "displayName") or "").lower()


def etag(version: int) -> str:
    return f'W/"{version}"'


def _tags(header: str | None) -> set[str] | None:
    """The opaque tags of an If-Match / If-None-Match header ("*" kept), or None when absent."""
    if header is None or not header.strip():
        return None
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        if tag[:2] in ("W/", "w/"):
            tag = tag[2:]
        tags.add(tag.strip('"'))
    return tags


@dataclass(frozen=True)
class Conditions:
    """The If-Match / If-None-Match headers of a request, compared weakly with the stored version."""

    if_match: str | None = None
    if_none_match: str | None = None

    def _if_match(self, stored: Stored) -> None:
        tags = _tags(self.if_match)
        if tags is not None and "*" not in tags and str(stored.version) not in tags:
            raise PreconditionFailedException(detail=f"the resource is at version {etag(stored.version)}")

    def _none_match(self, stored: Stored) -> bool:
        tags = _tags(self.if_none_match)
        return tags is not None and ("*" in tags or str(stored.version) in tags)

    def check_write(self, stored: Stored) -> None:
        """For PUT, PATCH and DELETE: 412 when If-Match fails or If-None-Match matches."""
        self._if_match(stored)
        if self._none_match(stored):
            raise PreconditionFailedException(detail="If-None-Match matches the current version")

    def not_modified(self, stored: Stored) -> bool:
        """For a GET: 412 when If-Match fails; True when If-None-Match matches (answer 304)."""
        self._if_match(stored)
        return self._none_match(stored)

    @property
    def strict(self) -> bool:
        """Whether the client asked for a version: a lost race then answers 412 instead of retrying."""
        return _tags(self.if_match) is not None


def _operations_entry(body: Any) -> tuple[str, list[Any]] | None:
    """A PatchOp body's `Operations` key (matched case-insensitively) and list; None when there is none."""
    if not isinstance(body, dict):
        return None
    key = next((k for k in body if k.lower() == "operations"), None)
    operations = body.get(key) if key else None
    return (key, operations) if key and isinstance(operations, list) else None


def normalize_patch(body: Any) -> Any:
    """Rewrite Entra's non-RFC PATCH shapes into RFC 7644 ones scim2-models applies.

    - a pathless add/replace whose value has keys that are paths (`name.givenName`, `emails[type eq "work"].value`,
      an extension URN) becomes one operation per such key;
    - `remove` of a multi-valued attribute with a `value` list of `{"value": ...}` becomes one remove per entry
      with a `[value eq "..."]` filter in the path.
    Capitalised ops and "True"/"False" strings are accepted by the models themselves.
    """
    entry = _operations_entry(body)
    if entry is None:
        return body
    key, operations = entry
    rewritten: list[Any] = []
    for op in operations:
        if not isinstance(op, dict):
            rewritten.append(op)
            continue
        kind = str(op.get("op", "")).lower()
        path, value = op.get("path"), op.get("value")
        if kind in ("add", "replace") and not path and isinstance(value, dict):
            plain = {k: v for k, v in value.items() if not any(c in k for c in ".[:")}
            if plain or len(plain) == len(value):
                rewritten.append({**op, "value": plain})
            rewritten.extend({"op": op["op"], "path": k, "value": v} for k, v in value.items() if k not in plain)
        elif kind == "remove" and isinstance(path, str) and "[" not in path and isinstance(value, list) and value:
            entries = [v.get("value") for v in value if isinstance(v, dict)]
            if len(entries) != len(value) or not all(isinstance(e, str) for e in entries):
                rewritten.append(op)
                continue
            for entry in entries:
                escaped = entry.replace("\\", "\\\\").replace('"', '\\"')
                rewritten.append({"op": op["op"], "path": f'{path}[value eq "{escaped}"]'})
        else:
            rewritten.append(op)
    return {**body, key: rewritten}


_TYPED_PATH: Final = re.compile(
    r'^\s*(?P<attr>[A-Za-z][\w$-]*)\[\s*type\s+eq\s+"(?P<type>[^"\\]*)"\s*\]\.(?P<sub>[A-Za-z][\w$-]*)\s*$',
    re.IGNORECASE,
)


def add_missing_entries(body: Any, doc: dict[str, Any]) -> Any:
    """Rewrite an add/replace of `attr[type eq "t"].sub` that matches no entry of `doc` into an add of the entry.

    Entra writes `emails[type eq "work"].value`, `phoneNumbers[type eq "mobile"].value` or
    `addresses[type eq "work"].locality` when the user has no such entry yet; RFC 7644 would answer 400 noTarget.
    Runs after `normalize_patch`, against the stored document the patch applies to; `body` itself when nothing
    needs rewriting.
    """
    entry = _operations_entry(body)
    if entry is None:
        return body
    key, operations = entry
    existing = {k.lower(): v for k, v in doc.items()}
    created: set[tuple[str, str]] = set()
    rewritten: list[Any] = []
    for op in operations:
        match = (
            _TYPED_PATH.match(op.get("path") or "")
            if isinstance(op, dict) and isinstance(op.get("path"), str)
            else None
        )
        if match is None or str(op.get("op", "")).lower() not in ("add", "replace") or op.get("value") is None:
            rewritten.append(op)
            continue
        attr, type_ = match["attr"], match["type"]
        entries = existing.get(attr.lower())
        found = isinstance(entries, list) and any(
            isinstance(e, dict) and str(e.get("type", "")).lower() == type_.lower() for e in entries
        )
        if found or (attr.lower(), type_.lower()) in created:
            rewritten.append(op)
            continue
        created.add((attr.lower(), type_.lower()))
        rewritten.append({"op": "add", "path": attr, "value": [{"type": type_, match["sub"]: op["value"]}]})
    return {**body, key: rewritten} if created else body


_MEMBER_FILTER: Final = re.compile(r'^\s*members\[\s*value\s+eq\s+("(?:[^"\\]|\\.)*")\s*\]\s*$', re.IGNORECASE)


def _operations(body: Any) -> list[Any]:
    entry = _operations_entry(body)
    return entry[1] if entry else []


def member_change(op: Any) -> tuple[str, Any] | None:
    """A group PATCH operation that only adds, removes or replaces members, as ("add" | "replace", [entries]) or
    ("remove", value); None for anything else (scim2-models applies those)."""
    if not isinstance(op, dict) or not isinstance(op.get("path"), str):
        return None
    kind, path, value = str(op.get("op", "")).lower(), op["path"].strip(), op.get("value")
    if path.lower() == "members":
        if kind == "remove" and value is None:
            return "replace", []
        entries = value if isinstance(value, list) else [value]
        if kind in ("add", "replace") and all(isinstance(e, dict) and isinstance(e.get("value"), str) for e in entries):
            return kind, [dict(e) for e in entries]
        return None
    match = _MEMBER_FILTER.match(path) if kind == "remove" and value is None else None
    if match is None:
        return None
    try:
        return "remove", json.loads(match[1])
    except ValueError:
        return None


def _validation(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a scim2-models validation, turning pydantic's ValidationError into the SCIM exception it names."""
    try:
        return call(*args, **kwargs)
    except ValidationError as exc:
        raise SCIMException.from_error(Error.from_validation_errors(exc)[0]) from None


class ScimService:
    """Users and Groups over a ScimStore; events to `publisher` (anything with publish(events))."""

    def __init__(self, store: ScimStore, publisher: Any, config: ScimConfig) -> None:
        self.store = store
        self.publisher = publisher
        self.config = config

    # -- documents and models ------------------------------------------------------------------------------

    def _load(self, stored: Stored) -> Resource[Any]:
        return _model(stored.kind).model_validate(stored.doc, scim_ctx=None)

    def _stored(self, kind: str, resource: Resource[Any], *, version: int, created: datetime | None) -> Stored:
        now = datetime.now(UTC)
        resource.meta = Meta(resource_type=kind, created=created or now, last_modified=now, version=etag(version))
        if kind == "User":
            resource.password = None  # never kept: Cord does not need it
        else:
            resource.members = _distinct_members(resource) if resource.members is not None else None
        doc = resource.model_dump(scim_ctx=Context.DEFAULT)
        doc.get("meta", {}).pop("location", None)
        unique = _unique(kind, doc)
        if not unique.strip():
            attribute = "userName" if kind == "User" else "displayName"
            raise InvalidValueException(detail=f"{attribute} is required")
        members: frozenset[str] = frozenset()
        if kind == "User":
            cord = user_cord_id(doc, self.config)
        else:
            cord = group_cord_id(doc, self.config)
            members = frozenset(str(m["value"]) for m in doc.get("members") or [] if m.get("value"))
        return Stored(kind, str(resource.id), version, doc, unique, cord, members)

    def _get(self, kind: str, resource_id: str) -> Stored:
        stored = self.store.get(kind, resource_id)
        if stored is None:
            shown = resource_id if len(resource_id) <= 64 else resource_id[:64] + "..."
            raise NotFoundException(detail=f"{kind} {shown} not found")
        return stored

    def _response(
        self, stored: Stored, base_url: str, status: int, params: Any = None, resource: Resource[Any] | None = None
    ) -> Response:
        """The resource as answered; `resource` is the model just written (saves loading the document again)."""
        resource = resource or self._load(stored)
        location = f"{base_url}/{ENDPOINTS[stored.kind]}/{stored.id}"
        assert resource.meta is not None
        resource.meta.location = location
        ctx = Context.RESOURCE_CREATION_RESPONSE if status == 201 else Context.RESOURCE_QUERY_RESPONSE
        body = resource.model_dump(scim_ctx=ctx, response_parameters=params)
        headers = {"ETag": etag(stored.version), "Content-Location": location}
        if status == 201:
            headers["Location"] = location
        return Response(status, body, headers)

    def _params(self, kind: str, query: dict[str, str]) -> Any:
        wanted = {k: v for k, v in query.items() if k in ("attributes", "excludedAttributes")}
        if not wanted:
            return None
        search = rs.UserSearch if kind == "User" else rs.GroupSearch
        return _validation(search.model_validate, wanted, scim_ctx=Context.SEARCH_REQUEST)

    # -- reads --------------------------------------------------------------------------------------------

    def get(
        self, kind: str, resource_id: str, base_url: str, query: dict[str, str], conditions: Conditions
    ) -> Response:
        params = self._params(kind, query)
        stored = self._get(kind, resource_id)
        if conditions.not_modified(stored):
            return Response(304, None, {"ETag": etag(stored.version)})
        return self._response(stored, base_url, 200, params)

    def search(self, kinds: tuple[str, ...], base_url: str, query: dict[str, Any]) -> Response:
        """A list (GET on an endpoint, POST .search) over one kind, or over both at the root."""
        model_ = _model(kinds[0]) if len(kinds) == 1 else rs.UserModel | rs.GroupModel
        wanted = {k: v for k, v in query.items() if k in SEARCH_KEYS}
        search = _validation(SearchRequest[model_].model_validate, wanted, scim_ctx=Context.SEARCH_REQUEST)
        scim_filter = ScimFilter[model_](str(search.filter)) if search.filter is not None else None
        count = rs.DEFAULT_COUNT if search.count is None else min(max(search.count, 0), rs.MAX_RESULTS)
        start = search.start_index_0 or 0

        found: list[Stored] = []
        for kind in kinds:
            candidates = self._candidates(kind, scim_filter.ast) if scim_filter is not None else None
            found.extend(self.store.all(kind) if candidates is None else candidates)
        if scim_filter is None and not search.sort_by:  # load only the page
            total = len(found)
            page = [(s, self._load(s)) for s in found[start : start + count]]
        else:
            loaded = [(s, self._load(s)) for s in found]
            matched = [(s, r) for s, r in loaded if scim_filter is None or scim_filter.match(r)]
            if search.sort_by:
                order = {id(r): n for n, r in enumerate(search.sort([r for _, r in matched]))}
                matched.sort(key=lambda pair: order[id(pair[1])])
            total = len(matched)
            page = matched[start : start + count]
        dumped = []
        for stored, resource in page:
            assert resource.meta is not None
            resource.meta.location = f"{base_url}/{ENDPOINTS[stored.kind]}/{stored.id}"
            dumped.append(resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search))
        response = rs.AnyListResponse(
            total_results=total, items_per_page=len(dumped), start_index=start + 1, resources=dumped
        )
        return Response(200, response.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))

    def _candidates(self, kind: str, node: Any) -> list[Stored] | None:
        """The few resources an `eq` on id or on the unique name can match (no Query), or None to read all."""
        if isinstance(node, Comparison) and node.op is CompareOperator.eq and isinstance(node.value, str):
            path = node.attr_path
            attr = (path.attr or "").lower() if not path.sub_attr else ""
            unique_attr = "username" if kind == "User" else "displayname"
            resource_id: str | None = None
            if attr == "id":
                resource_id = node.value
            elif attr == unique_attr:
                resource_id = self.store.id_by_name(kind, node.value.lower())
            else:
                return None
            stored = self.store.get(kind, resource_id) if resource_id else None
            return [stored] if stored else []
        if isinstance(node, LogicalExpr) and node.op is LogicalOperator.and_:
            for term in node.terms:
                found = self._candidates(kind, term)
                if found is not None:
                    return found
        return None

    # -- writes -------------------------------------------------------------------------------------------

    def create(self, kind: str, body: Any, base_url: str) -> Response:
        resource = _validation(_model(kind).model_validate, body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
        resource.id = str(uuid.uuid4())
        new = self._stored(kind, resource, version=1, created=None)
        events = Events()
        if kind == "Group":
            self._check_members(new.members)
        try:
            self.store.create(new)
        except NameTaken:
            self._resend_holder(new)
            raise
        self._changed(None, new, events)
        self._publish(events)
        return self._response(new, base_url, 201, resource=resource)

    def _resend_holder(self, new: Stored) -> None:
        """A create that lost on its name to a resource with the same externalId is the IdP retrying (after a 503
        whose events never reached the queue): send the stored resource's state again before answering 409."""
        external_id = new.doc.get("externalId")
        holder_id = self.store.id_by_name(new.kind, new.unique) if external_id else None
        holder = self.store.get(new.kind, holder_id) if holder_id else None
        if holder is None or holder.doc.get("externalId") != external_id:
            return
        events = Events()
        self._changed(None, holder, events)
        self._publish(events)

    def replace(
        self, kind: str, resource_id: str, body: Any, base_url: str, query: dict[str, str], conditions: Conditions
    ) -> Response:
        params = self._params(kind, query)
        model_ = _model(kind)
        _validation(model_.model_validate, body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)

        keeps_active = kind == "User" and isinstance(body, dict) and not any(k.lower() == "active" for k in body)

        def apply(old: Stored) -> Resource[Any]:
            replacement = _validation(model_.model_validate, body, scim_ctx=Context.RESOURCE_REPLACEMENT_REQUEST)
            replacement.replace(self._load(old))
            replacement.id = old.id
            if keeps_active:  # a PUT that leaves `active` out (Okta) neither suspends nor re-enables the user
                replacement.active = old.doc.get("active")
            return replacement

        new, written = self._update(kind, resource_id, conditions, apply)
        return self._response(new, base_url, 200, params, written)

    def patch(
        self, kind: str, resource_id: str, body: Any, base_url: str, query: dict[str, str], conditions: Conditions
    ) -> Response:
        params = self._params(kind, query)
        patch_type = rs.UserPatch if kind == "User" else rs.GroupPatch
        normalized = normalize_patch(body)
        validated = _validation(patch_type.model_validate, normalized, scim_ctx=Context.RESOURCE_PATCH_REQUEST)

        operations = _operations(normalized)
        if kind == "Group" and len(operations) == len(validated.operations):

            def apply_group(old: Stored) -> Resource[Any]:
                return self._patch_group(old, validated, operations)

            new, written = self._update(kind, resource_id, conditions, apply_group)
            return self._response(new, base_url, 200, params, written)

        def apply(old: Stored) -> Resource[Any]:
            completed = add_missing_entries(normalized, old.doc)
            patch_op = validated
            if completed is not normalized:  # validating costs ~0.5 ms per path: only again when rewritten
                patch_op = _validation(patch_type.model_validate, completed, scim_ctx=Context.RESOURCE_PATCH_REQUEST)
            resource = self._load(old)
            _validation(patch_op.patch, resource)
            return resource

        new, written = self._update(kind, resource_id, conditions, apply)
        return self._response(new, base_url, 200, params, written)

    def _patch_group(self, old: Stored, validated: Any, operations: list[Any]) -> Resource[Any]:
        """Apply a group PATCH: member additions and removals on the member list directly (linear in the group's
        size), every other operation through scim2-models, in the order given."""
        doc = {**old.doc, "members": list(old.doc.get("members") or [])}
        pending: list[Any] = []

        def flush() -> None:
            nonlocal doc
            if pending:
                resource = _model("Group").model_validate(doc, scim_ctx=None)
                _validation(validated.model_copy(update={"operations": list(pending)}).patch, resource)
                doc = resource.model_dump(scim_ctx=Context.DEFAULT)
                doc["members"] = list(doc.get("members") or [])
                pending.clear()

        for raw, operation in zip(operations, validated.operations, strict=True):
            change = member_change(raw)
            if change is None:
                pending.append(operation)
                continue
            flush()
            kind, value = change
            if kind == "remove":
                doc["members"] = [m for m in doc["members"] if m.get("value") != value]
            elif kind == "replace":
                doc["members"] = value
            else:
                doc["members"].extend(value)
        flush()
        if not doc["members"] and old.doc.get("members") != []:
            del doc["members"]
        return _validation(_model("Group").model_validate, doc, scim_ctx=None)

    def _update(
        self, kind: str, resource_id: str, conditions: Conditions, apply: Any
    ) -> tuple[Stored, Resource[Any] | None]:
        """Read, apply, write conditionally (retried on a lost race); the stored state and the written model."""
        for _attempt in range(MAX_ATTEMPTS):
            old = self._get(kind, resource_id)
            conditions.check_write(old)
            resource = apply(old)
            created = old.doc.get("meta", {}).get("created")
            candidate = self._stored(
                kind, resource, version=old.version + 1, created=datetime.fromisoformat(created) if created else None
            )
            events = Events()
            if _same(old, candidate):  # nothing changed: keep the version, re-send the state (a retry after a 503)
                self._changed(old if kind == "User" else None, old, events)  # a group with its whole member list
                self._publish(events)
                return old, None
            if kind == "Group":
                self._check_members(candidate.members - old.members)
            try:
                self.store.replace(old, candidate)
            except VersionConflict:
                if conditions.strict:
                    raise PreconditionFailedException(detail="the resource changed; read it again") from None
                continue
            self._changed(old, candidate, events)
            self._publish(events)
            return candidate, resource
        raise ConcurrentModification(f"{kind} {resource_id} kept changing; retry")

    def delete(self, kind: str, resource_id: str, conditions: Conditions) -> Response:
        """Queue the events first, then delete: if the queue fails nothing is deleted and a retried DELETE sends
        them again (deleting first would leave the retry a 404 and the user active in Cord)."""
        for _attempt in range(MAX_ATTEMPTS):
            old = self._get(kind, resource_id)
            conditions.check_write(old)
            groups = self.store.groups_with_member(old.id)  # users, and groups nested in groups
            events = Events()
            if kind == "User" and old.cord:
                for group in groups:
                    if group.cord:
                        events.members(model.MEMBERS_REMOVE, group.cord, [old.cord])
                events.user_deactivate(old.cord)
                if self.config.groups == "none":
                    assert self.config.default_organization_id
                    events.members(model.MEMBERS_REMOVE, self.config.default_organization_id, [old.cord])
            elif kind == "Group" and old.cord:
                events.organization_deactivate(old.cord)
            self._publish(events)
            try:
                self.store.delete(old)
            except VersionConflict:
                if conditions.strict:
                    self._resend_current(kind, resource_id)
                    raise PreconditionFailedException(detail="the resource changed; read it again") from None
                continue
            for group in groups:
                self._drop_member(group.id, old.id)
            return Response(204)
        self._resend_current(kind, resource_id)
        raise ConcurrentModification(f"{kind} {resource_id} kept changing; retry")

    def _resend_current(self, kind: str, resource_id: str) -> None:
        """Undo the deactivation a DELETE sent before losing its If-Match race: send the resource as it now is
        (a user with its group memberships, a group with its members)."""
        current = self.store.get(kind, resource_id)
        if current is None:
            return
        events = Events()
        self._changed(dataclasses.replace(current, cord=None) if kind == "User" else None, current, events)
        self._publish(events)

    def _drop_member(self, group_id: str, user_id: str) -> None:
        """Remove a deleted resource from one group's stored members (conditional, retried)."""
        for _attempt in range(MAX_ATTEMPTS):
            group = self.store.get("Group", group_id)
            if group is None or user_id not in group.members:
                return
            doc = dict(group.doc)
            doc["members"] = [m for m in doc.get("members") or [] if str(m.get("value")) != user_id]
            if not doc["members"]:
                del doc["members"]
            version = group.version + 1
            doc["meta"] = {
                **doc.get("meta", {}),
                "version": etag(version),
                "lastModified": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            new = Stored("Group", group.id, version, doc, group.unique, group.cord, group.members - {user_id})
            try:
                self.store.replace(group, new)
            except VersionConflict:
                continue
            return
        raise ConcurrentModification(f"Group {group_id} kept changing; retry")

    def _check_members(self, added: frozenset[str]) -> None:
        if not added:
            return
        missing = added - set(self.store.cord_ids("User", added))
        if missing:
            missing -= set(self.store.cord_ids("Group", missing))
        if missing:
            shown = ", ".join(sorted(missing)[:5])
            raise InvalidValueException(detail=f"members refer to unknown resources: {shown}")

    # -- mapping to Cord ----------------------------------------------------------------------------------

    def _changed(self, old: Stored | None, new: Stored, events: Events) -> None:
        if new.kind == "User":
            self._user_changed(old, new, events)
        else:
            self._group_changed(old, new, events)

    def _user_changed(self, old: Stored | None, new: Stored, events: Events) -> None:
        config = self.config
        old_cord = old.cord if old else None
        if old_cord and old_cord != new.cord:
            events.user_deactivate(old_cord)
            self._memberships(events, new.id, old_cord, model.MEMBERS_REMOVE)
        if new.cord is None:
            logger.warning("SCIM user not sent to Cord: no usable email or no Cord id", extra={"scim_id": new.id})
            return
        events.user_state(new.cord, new.doc)
        if config.groups == "none":
            if new.doc.get("active") is not False:
                assert config.default_organization_id and config.default_organization_name
                events.organization(config.default_organization_id, config.default_organization_name)
                events.members(model.MEMBERS_ADD, config.default_organization_id, [new.cord])
        elif old is not None and new.cord != old_cord:  # a new user is in no group yet
            self._memberships(events, new.id, new.cord, model.MEMBERS_ADD)

    def _memberships(self, events: Events, user_id: str, cord_id: str, type_: str) -> None:
        if self.config.groups == "none":
            if type_ == model.MEMBERS_REMOVE:
                assert self.config.default_organization_id
                events.members(type_, self.config.default_organization_id, [cord_id])
            return
        for group in self.store.groups_with_member(user_id):
            if group.cord:
                events.members(type_, group.cord, [cord_id])

    def _group_changed(self, old: Stored | None, new: Stored, events: Events) -> None:
        old_org = old.cord if old else None
        if old_org and old_org != new.cord:
            events.organization_deactivate(old_org)
        if new.cord is None:
            return
        name = str(new.doc["displayName"])
        if old is None or new.cord != old_org or len(new.members) <= MEMBERS_CHUNK:
            cords = self._cord_users(new.members)
            events.organization(new.cord, name, sorted(set(cords.values())))
            return
        added, removed = new.members - old.members, old.members - new.members
        cords = self._cord_users(added | removed)
        events.organization(new.cord, name)
        add = {cords[i] for i in added if i in cords}
        remove = {cords[i] for i in removed if i in cords} - add
        if add:
            events.members(model.MEMBERS_ADD, new.cord, add)
        if remove:
            events.members(model.MEMBERS_REMOVE, new.cord, remove)

    def _cord_users(self, member_ids: frozenset[str]) -> dict[str, str]:
        """SCIM user id -> Cord user id, for the members that are users synced to Cord."""
        if not member_ids:
            return {}
        return {k: v for k, v in self.store.cord_ids("User", member_ids).items() if v}

    def _publish(self, events: Events) -> None:
        if not events.items:
            return
        try:
            self.publisher.publish(events.items)
        except (PublishError, InvalidEventError):
            raise
        except Exception as exc:  # SQS unreachable, queue gone, no permission: the change is stored, not queued
            raise PublishError(f"the sync queue could not be reached ({type(exc).__name__})") from exc


def _distinct_members(group: Any) -> list[Any]:
    """A group's members, one entry per value (the first kept); 400 for a member without a value or the group itself."""
    seen: dict[str, Any] = {}
    for member in group.members or []:
        if not member.value:
            raise InvalidValueException(detail="every member needs a value (the id of a User or Group)")
        if member.value == group.id:
            raise InvalidValueException(detail="a group cannot be a member of itself")
        seen.setdefault(member.value, member)
    return list(seen.values())


def _same(old: Stored, new: Stored) -> bool:
    def strip(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if k != "meta"}

    return strip(old.doc) == strip(new.doc) and old.cord == new.cord
