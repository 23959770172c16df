"""SCIM resources in the state table (STATE_TABLE_NAME), with optimistic concurrency.

Item layout (pk / sk, all strings):

    scim#User   / <id>                 a user: doc (the resource as JSON, meta.version included), v (version
                                       number), uk (lower-cased userName), cord (the Cord user id it is synced
                                       as, absent when it is not sent to Cord)
    scim#Group  / <id>                 a group: doc, v, uk (lower-cased displayName), cord (the Cord
                                       organization id, absent when the group is not synced), m (string set of
                                       member ids, for finding a user's groups without reading every document)
    scim#User#name  / <lower userName>     uniqueness item: id (the user holding the name), at (claim time)
    scim#Group#name / <lower displayName>  the same for groups

Every write of a resource is conditional on the version read before it (`v`), so two concurrent requests cannot
both succeed from the same state; a loser gets VersionConflict and re-reads. Unique names are claimed with a
conditional put before the resource is written and released after (no transactions: one item per write keeps
requests cheap); a claim left behind by a writer that stopped halfway is taken over after CLAIM_GRACE seconds
when its holder no longer has that name. Lists are a Query of one partition (no Scan); a lookup
by id or by unique name is one GetItem. A group document (members included) must fit DynamoDB's 400 KB item.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from cord_sync.errors import CordSyncError
from cord_sync.state import table_name

KINDS: Final = ("User", "Group")
BATCH_GET_MAX: Final = 100
MAX_KEY_BYTES: Final = 1024
CLAIM_GRACE: Final = 60  # seconds before an orphaned name claim may be taken over


class StoreError(CordSyncError):
    """Base of the store's own outcomes."""


class VersionConflict(StoreError):
    """The resource changed (or vanished) since it was read."""


class NameTaken(StoreError):
    """Another resource holds the unique name (userName, group displayName)."""


class ItemTooLarge(StoreError):
    """The resource does not fit in one DynamoDB item (400 KB)."""


@dataclass(slots=True)
class Stored:
    """One stored resource as the service sees it."""

    kind: str
    id: str
    version: int
    doc: dict[str, Any]
    unique: str
    cord: str | None = None
    members: frozenset[str] = field(default_factory=frozenset)


def _pk(kind: str) -> str:
    return f"scim#{kind}"


def _name_pk(kind: str) -> str:
    return f"scim#{kind}#name"


def _from_item(kind: str, item: dict[str, Any]) -> Stored:
    return Stored(
        kind=kind,
        id=item["sk"]["S"],
        version=int(item["v"]["N"]),
        doc=json.loads(item["doc"]["S"]),
        unique=item["uk"]["S"],
        cord=item["cord"]["S"] if "cord" in item else None,
        members=frozenset(item["m"]["SS"]) if "m" in item else frozenset(),
    )


def _to_item(stored: Stored) -> dict[str, Any]:
    item: dict[str, Any] = {
        "pk": {"S": _pk(stored.kind)},
        "sk": {"S": stored.id},
        "v": {"N": str(stored.version)},
        "doc": {"S": json.dumps(stored.doc, separators=(",", ":"), ensure_ascii=False)},
        "uk": {"S": stored.unique},
    }
    if stored.cord is not None:
        item["cord"] = {"S": stored.cord}
    if stored.members:
        item["m"] = {"SS": sorted(stored.members)}
    return item


def _usable_key(value: str) -> bool:
    """DynamoDB sort keys hold 1 to 1024 bytes; other ids cannot name a stored resource."""
    return 0 < len(value.encode()) <= MAX_KEY_BYTES


def _name_key(unique: str) -> str:
    """The sort key of a name's uniqueness item: the name, or a digest of a name too long for a key."""
    if _usable_key(unique) and not unique.startswith("#"):
        return unique
    return "#sha256:" + hashlib.sha256(unique.encode()).hexdigest()


def _name_item(kind: str, unique: str, resource_id: str) -> dict[str, Any]:
    return {"pk": {"S": _name_pk(kind)}, "sk": {"S": _name_key(unique)}, "id": {"S": resource_id}}


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _too_large(exc: Exception) -> bool:
    message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
    return _error_code(exc) == "ValidationException" and "size" in message.lower()


class ScimStore:
    """Reads and conditional writes of SCIM resources; `client` is a boto3 DynamoDB client."""

    def __init__(self, table: str, client: Any) -> None:
        self.table = table
        self.client = client

    # -- reads ---------------------------------------------------------------------------------------------

    def get(self, kind: str, resource_id: str) -> Stored | None:
        if not _usable_key(resource_id):
            return None
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": _pk(kind)}, "sk": {"S": resource_id}}, ConsistentRead=True
        ).get("Item")
        return _from_item(kind, item) if item else None

    def id_by_name(self, kind: str, unique: str) -> str | None:
        """The id of the resource holding a unique name (already lower-cased), or None."""
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": _name_pk(kind)}, "sk": {"S": _name_key(unique)}}, ConsistentRead=True
        ).get("Item")
        return item["id"]["S"] if item else None

    def _query(self, kind: str, **extra: Any) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": _pk(kind)}},
            "ConsistentRead": True,
        }
        for key, value in extra.items():
            if key == "ExpressionAttributeValues":
                params[key] = {**params[key], **value}
            else:
                params[key] = value
        while True:
            page = self.client.query(**params)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def all(self, kind: str) -> Iterator[Stored]:
        """Every resource of a kind, in id order (a Query of its partition)."""
        for item in self._query(kind):
            yield _from_item(kind, item)

    def groups_with_member(self, member_id: str) -> list[Stored]:
        """The groups whose member set holds `member_id` (the set is filtered server-side)."""
        items = self._query(
            "Group", FilterExpression="contains(m, :member)", ExpressionAttributeValues={":member": {"S": member_id}}
        )
        return [_from_item("Group", item) for item in items]

    def cord_ids(self, kind: str, ids: Iterable[str]) -> dict[str, str | None]:
        """For each existing resource among `ids`: its Cord id (None when not synced). Missing ids are left out."""
        wanted = sorted(i for i in set(ids) if _usable_key(i))
        found: dict[str, str | None] = {}
        for start in range(0, len(wanted), BATCH_GET_MAX):
            keys = [{"pk": {"S": _pk(kind)}, "sk": {"S": i}} for i in wanted[start : start + BATCH_GET_MAX]]
            request: dict[str, Any] = {
                self.table: {"Keys": keys, "ProjectionExpression": "sk, #c", "ExpressionAttributeNames": {"#c": "cord"}}
            }
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    found[item["sk"]["S"]] = item["cord"]["S"] if "cord" in item else None
                request = response.get("UnprocessedKeys") or {}
        return found

    # -- writes --------------------------------------------------------------------------------------------

    def create(self, stored: Stored) -> None:
        """Claim the unique name, then put the new resource; NameTaken when the name is held."""
        self._claim(stored.kind, stored.unique, stored.id)
        try:
            self._put(stored, ConditionExpression="attribute_not_exists(pk)")
        except BaseException:
            self._release(stored.kind, stored.unique, stored.id)
            raise

    def replace(self, old: Stored, new: Stored) -> None:
        """Write `new` if the stored version is still `old.version` (VersionConflict otherwise).

        A changed unique name is claimed first and the old one released after the write. A failed write gives the
        claim back unless the resource holds that name by now (a concurrent request renamed it the same way).
        """
        renamed = old.unique != new.unique
        if renamed:
            self._claim(new.kind, new.unique, new.id)
        try:
            self._put(new, ConditionExpression="v = :v", ExpressionAttributeValues={":v": {"N": str(old.version)}})
        except BaseException:
            if renamed and not self._holds(new):
                self._release(new.kind, new.unique, new.id)
            raise
        if renamed:
            self._release(old.kind, old.unique, old.id)

    def _holds(self, new: Stored) -> bool:
        """Whether the stored resource already has `new`'s unique name (True when unknown: an orphaned claim heals)."""
        try:
            current = self.get(new.kind, new.id)
        except Exception:
            return True
        return current is not None and current.unique == new.unique

    def delete(self, old: Stored) -> None:
        """Delete a resource if it is still at `old.version`, then release its name."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": _pk(old.kind)}, "sk": {"S": old.id}},
                ConditionExpression="v = :v",
                ExpressionAttributeValues={":v": {"N": str(old.version)}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise VersionConflict(f"{old.kind} {old.id} changed concurrently") from None
        self._release(old.kind, old.unique, old.id)

    def _put(self, stored: Stored, **condition: Any) -> None:
        try:
            self.client.put_item(TableName=self.table, Item=_to_item(stored), **condition)
        except self.client.exceptions.ConditionalCheckFailedException:
            raise VersionConflict(f"{stored.kind} {stored.id} changed concurrently") from None
        except self.client.exceptions.ClientError as exc:
            if _too_large(exc):
                raise ItemTooLarge(f"{stored.kind} {stored.id} is too large to store") from None
            raise

    def _claim(self, kind: str, unique: str, resource_id: str) -> None:
        """Take the uniqueness item of a name (a conditional put; no transaction).

        A claim whose holder no longer exists or holds another name (a writer stopped between its two writes)
        is taken over once it is older than CLAIM_GRACE seconds; until then the name counts as taken.
        """
        now = int(time.time())
        item = {**_name_item(kind, unique, resource_id), "at": {"N": str(now)}}
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            return
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        holder = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": _name_pk(kind)}, "sk": {"S": _name_key(unique)}}, ConsistentRead=True
        ).get("Item")
        if holder is None:  # released in between: try once more
            try:
                self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
                return
            except self.client.exceptions.ConditionalCheckFailedException:
                raise NameTaken(f"{unique!r} is taken") from None
        holder_id = holder["id"]["S"]
        if holder_id == resource_id:
            return
        current = self.get(kind, holder_id)
        claimed_at = int(holder.get("at", {}).get("N", "0"))
        if (current is not None and current.unique == unique) or now - claimed_at < CLAIM_GRACE:
            raise NameTaken(f"{unique!r} is taken")
        try:
            self.client.put_item(
                TableName=self.table,
                Item=item,
                ConditionExpression="id = :holder",
                ExpressionAttributeValues={":holder": {"S": holder_id}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            raise NameTaken(f"{unique!r} is taken") from None

    def _release(self, kind: str, unique: str, resource_id: str) -> None:
        """Delete a name's uniqueness item if `resource_id` still holds it (best effort: orphans are healed)."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": _name_pk(kind)}, "sk": {"S": _name_key(unique)}},
                ConditionExpression="id = :id",
                ExpressionAttributeValues={":id": {"S": resource_id}},
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            pass
        except self.client.exceptions.ClientError:
            from cord_sync.observability import logger

            logger.warning("SCIM name not released; it will be reclaimed later", extra={"scim_id": resource_id})


_client: Any = None


def default_store() -> ScimStore:
    """A store on STATE_TABLE_NAME with the container's DynamoDB client (made on first use)."""
    global _client
    name = table_name()
    if _client is None:
        import boto3
        from botocore.config import Config

        # Items are built here from fixed shapes; DynamoDB validates them anyway. Skipping botocore's client-side
        # validation saves about a third of each call's local cost. DynamoDB answers in milliseconds: fail fast
        # (a SCIM 503 the IdP retries) instead of botocore's 60 s timeouts running past the 15 s function.
        config = Config(
            parameter_validation=False,
            connect_timeout=1,
            read_timeout=2,
            retries={"mode": "standard", "total_max_attempts": 3},
        )
        _client = boto3.client("dynamodb", config=config)
    return ScimStore(name, _client)


def reset_store() -> None:
    """Forget the container's client (tests switch moto contexts)."""
    global _client
    _client = None
