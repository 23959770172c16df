"""Wiring for the Lambda handlers: build the engine once per container, run one invocation's worth.

Handlers call `sync_sqs_event` or `sync_eventbridge_event`; everything they need is built from
`Settings.from_env()` on first use and reused while the container stays warm (connection pool, access
token, secret cache).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from cord_sync.adapters.eventbridge import classify
from cord_sync.api import CordClient
from cord_sync.auth import ExchangeAuth, ServerTokenAuth
from cord_sync.errors import CordSyncError, InvalidEventError
from cord_sync.http import Deadline, HttpTransport, RetryPolicy
from cord_sync.observability import logger, metrics
from cord_sync.secrets import CredentialsSource, SecretsManagerCredentials
from cord_sync.settings import Settings
from cord_sync.sync import SyncEngine, SyncReport


class SyncFailedError(CordSyncError):
    """An EventBridge event could not be applied; raised so Lambda's async retries take over."""


def build_engine(settings: Settings, credentials: CredentialsSource | None = None) -> SyncEngine:
    transport = HttpTransport(
        settings.api_url,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        retry=RetryPolicy(max_retries=settings.max_retries),
    )
    credentials = credentials or SecretsManagerCredentials(settings.secret_arn)
    auth = (
        ServerTokenAuth(credentials) if settings.auth_mode == "server_token" else ExchangeAuth(credentials, transport)
    )
    return SyncEngine(CordClient(transport, auth))


_lock = threading.Lock()
_current: tuple[Settings, SyncEngine] | None = None


def default_engine() -> SyncEngine:
    """The container's engine, built from the environment on first use and kept while the settings stay.

    Settings are re-read on every call (a few dictionary look-ups), so a changed environment never talks to
    the old Cord URL or secret; a missing or invalid setting fails closed with ConfigurationError.
    """
    global _current
    settings = Settings.from_env()
    with _lock:
        if _current is None or _current[0] != settings:
            _current = (settings, build_engine(settings))
        return _current[1]


def reset_engine() -> None:
    """Forget the container's engine (its token cache and connection pool); tests use this."""
    global _current
    with _lock:
        _current = None


def publish_metrics(report: SyncReport) -> None:
    metrics.add_metric(name="EventsReceived", unit=MetricUnit.Count, value=report.received)
    metrics.add_metric(name="EventsInvalid", unit=MetricUnit.Count, value=report.invalid)
    metrics.add_metric(name="EventsApplied", unit=MetricUnit.Count, value=report.applied)
    metrics.add_metric(name="EventsFailed", unit=MetricUnit.Count, value=len(report.failures))
    metrics.add_metric(name="CordRequests", unit=MetricUnit.Count, value=report.requests)


def sync_sqs_event(event: Mapping[str, Any], context: Any, engine: SyncEngine | None = None) -> SyncReport:
    """Apply an SQS batch of canonical events; the report says which records failed and why."""
    engine = engine or default_engine()
    records = event.get("Records") or []
    report = engine.sync_messages(
        ((record["messageId"], record.get("body", "")) for record in records),
        deadline=Deadline.from_lambda_context(context),
    )
    publish_metrics(report)
    logger.info(
        "batch synced",
        extra={
            "received": report.received,
            "applied": report.applied,
            "skipped": report.skipped,
            "failed": len(report.failures),
            "invalid": report.invalid,
            "cord_requests": report.requests,
        },
    )
    return report


def sync_eventbridge_event(event: Mapping[str, Any], context: Any, engine: SyncEngine | None = None) -> SyncReport:
    """Apply one EventBridge event: a canonical event, or an Okta or Auth0 stream event mapped onto them.

    Events of unknown sources or types are logged and skipped (counted in EventsSkipped), not retried. An
    invalid relevant event raises InvalidEventError; changes Cord did not take raise SyncFailedError, so
    Lambda's async retries and the on-failure destination take over.
    """
    try:
        classified = classify(event)
    except InvalidEventError as exc:  # retries will not help; the on-failure destination keeps the event
        metrics.add_metric(name="EventsInvalid", unit=MetricUnit.Count, value=1)
        logger.warning("invalid change event", extra={"reason": exc.reason, "event_id": _get(event, "id")})
        raise
    where = {"event_id": _get(event, "id"), "source": _get(event, "source"), "kind": classified.kind}
    if not classified.changes:
        metrics.add_metric(name="EventsSkipped", unit=MetricUnit.Count, value=1)
        logger.info(
            "event skipped",
            extra={**where, "event_type": classified.event_type, "reason": classified.skip_reason},
        )
        return SyncReport(received=1, skipped=1)
    engine = engine or default_engine()
    changes = [(change.id, change) for change in classified.changes]
    report = engine.apply(changes, deadline=Deadline.from_lambda_context(context))
    publish_metrics(report)
    if report.failures:
        by_key = dict(changes)
        raise SyncFailedError(
            "; ".join(f"{by_key[key].type} {key}: {failure.reason}" for key, failure in report.failures.items())
        )
    logger.info(
        "event synced",
        extra={
            **where,
            "event_type": classified.event_type,
            "changes": [f"{change.type} {key}" for key, change in changes],
            "skipped": report.skipped,
        },
    )
    return report


def _get(event: Any, key: str) -> Any:
    return event.get(key) if isinstance(event, Mapping) else None
