"""Front doors hand canonical change events to the sync queue through `QueuePublisher`.

Every event is validated against the canonical schema before it is sent, so a front door learns at once
(and can tell its caller) that what it mapped is not a valid change; the sync worker never sees it.

    SYNC_QUEUE_URL   the sync queue's URL (required by every front door that enqueues)
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from cord_sync.errors import ConfigurationError, CordSyncError
from cord_sync.model import parse_event

QUEUE_URL_ENV: Final = "SYNC_QUEUE_URL"
MAX_BATCH_ENTRIES: Final = 10  # SendMessageBatch takes at most 10 entries
MAX_BATCH_BYTES: Final = 240 * 1024  # and at most 256 KiB of bodies; keep a margin for the attributes


class PublishError(CordSyncError):
    """Some events could not be put on the sync queue (after one retry of the failed entries)."""

    def __init__(self, message: str, failed_ids: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.failed_ids = list(failed_ids)


def utc_now() -> str:
    """The current time as an RFC 3339 string with a UTC offset (millisecond precision)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def change_event(type_: str, data: Mapping[str, Any], *, id: str, source: str, time: str | None = None) -> dict:
    """Build one canonical change event (a plain dict, ready for JSON); validate it with `parse_event`."""
    return {"type": type_, "id": id, "time": time or utc_now(), "source": source, "data": dict(data)}


def _chunks(bodies: Sequence[tuple[str, str]]) -> Iterable[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    size = 0
    for entry in bodies:
        entry_size = len(entry[1].encode())
        if chunk and (len(chunk) == MAX_BATCH_ENTRIES or size + entry_size > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += entry_size
    if chunk:
        yield chunk


class QueuePublisher:
    """Sends canonical events to the sync queue with SendMessageBatch (10 per call)."""

    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        if not queue_url:
            raise ConfigurationError(f"no sync queue is configured ({QUEUE_URL_ENV})")
        self.queue_url = queue_url
        self._client = client
        self.calls = 0

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # imported on first use: a handler's cold import stays light
            from botocore.config import Config

            # Front doors answer callers with deadlines (Okta waits 3 s, the webhook function has 5 s and must
            # still release a claimed webhook-id): fail fast rather than hang on SQS. SendMessageBatch answers in
            # tens of ms; 3 attempts of 2 s ran past the 5 s function timeout against an SQS that did not answer.
            config = Config(connect_timeout=1, read_timeout=1, retries={"mode": "standard", "max_attempts": 2})
            self._client = boto3.client("sqs", config=config)
        return self._client

    def publish(self, events: Sequence[Mapping[str, Any]]) -> int:
        """Validate every event, then send them all; returns how many were sent.

        Raises InvalidEventError (nothing sent) if any event is invalid, PublishError if SQS refused some.
        """
        for event in events:
            parse_event(event)
        bodies = [(str(i), json.dumps(event, separators=(",", ":"))) for i, event in enumerate(events)]
        failed: list[str] = []
        for chunk in _chunks(bodies):
            failed.extend(self._send(chunk))
        if failed:
            ids = [str(events[int(i)]["id"]) for i in failed]
            raise PublishError(f"the sync queue refused {len(ids)} of {len(events)} events", ids)
        return len(events)

    def _send(self, chunk: list[tuple[str, str]]) -> list[str]:
        pending = chunk
        for _attempt in range(2):
            self.calls += 1
            response = self.client.send_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending],
            )
            failed = {f["Id"] for f in response.get("Failed", [])}
            pending = [entry for entry in pending if entry[0] in failed]
            if not pending:
                return []
        return [entry_id for entry_id, _ in pending]


_lock = threading.Lock()
_publisher: QueuePublisher | None = None


def default_publisher() -> QueuePublisher:
    """The container's publisher for SYNC_QUEUE_URL (rebuilt if the variable changes); fails closed."""
    global _publisher
    url = os.environ.get(QUEUE_URL_ENV, "").strip()
    with _lock:
        if _publisher is None or _publisher.queue_url != url:
            _publisher = QueuePublisher(url)
        return _publisher


def reset_publisher() -> None:
    global _publisher
    with _lock:
        _publisher = None
