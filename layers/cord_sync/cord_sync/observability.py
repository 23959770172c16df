"""Logger and Metrics, made once per container and configured by POWERTOOLS_* variables."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "cord-sync")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CordSync"), service=SERVICE)

# botocore logs whole response bodies at DEBUG, GetSecretValue's included: never let a DEBUG root logger
# (a Lambda application log level, a test harness) print the Cord secret.
for _name in ("botocore", "boto3"):
    if logging.getLogger(_name).level < logging.INFO:  # NOTSET (0) would inherit the root's level
        logging.getLogger(_name).setLevel(logging.INFO)


_CONTEXT_DEFAULTS = {
    "function_name": "cord-sync-local",
    "function_version": "$LATEST",
    "memory_limit_in_mb": 0,
    "invoked_function_arn": "",
    "aws_request_id": "",
    "log_group_name": "",
    "log_stream_name": "",
}


class _ContextView:
    """A Lambda context whose missing attributes read as neutral defaults (and no time limit)."""

    def __init__(self, context: object) -> None:
        self._context = context

    def __getattr__(self, name: str) -> object:
        if self._context is not None and hasattr(self._context, name):
            return getattr(self._context, name)
        try:
            return _CONTEXT_DEFAULTS[name]
        except KeyError:
            raise AttributeError(name) from None


def tolerate_missing_context(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Let a handler be called with no context or a partial one (local runs, other harnesses).

    Powertools' logger decorator reads function_name, aws_request_id and the like from the context; without
    them it would raise before the handler runs.
    """

    @functools.wraps(handler)
    def entry(event: Any, context: Any = None) -> Any:
        return handler(event, _ContextView(context))

    return entry
