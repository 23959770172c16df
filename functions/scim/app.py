"""SCIM 2.0 service provider behind the HTTP API routes /scim/v2 and /scim/v2/{proxy+}.

Users and Groups are stored in the state table and every change goes to the sync queue as canonical events;
the logic lives in cord_sync.scim (layer).
"""

from aws_lambda_powertools.logging import correlation_paths

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.scim.http import handle


@tolerate_missing_context
@metrics.log_metrics
# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: requests carry the bearer token and people's data.
@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event, context):
    return handle(event)
