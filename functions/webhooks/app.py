"""HTTP API (payload 2.0) function for /webhooks: Okta Event Hooks (/webhooks/okta) and Standard
Webhooks-signed canonical events (/webhooks/events). It authenticates, validates and enqueues; the sync
queue's function applies the events to Cord. See cord_sync.webhooks.
"""

from aws_lambda_powertools.logging import correlation_paths

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.webhooks import handle


@tolerate_missing_context
@metrics.log_metrics
# log_event=False whatever POWERTOOLS_LOGGER_LOG_EVENT says: requests carry the hook secret and signatures.
@logger.inject_lambda_context(clear_state=True, correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event, context):
    return handle(event, context)
