"""SCIM 2.0 service provider behind the HTTP API routes /scim/v2 and /scim/v2/{proxy+}.

Users and Groups are stored in the state table and every change goes to the sync queue as canonical events;
the logic lives in cord_sync.scim (layer).
"""

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.scim.http import handle


@tolerate_missing_context
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    return handle(event)
