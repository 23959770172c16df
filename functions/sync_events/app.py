"""EventBridge consumer: applies one canonical change event (detail-type = type, detail = data).

Raises when the event is invalid or cannot be applied, so Lambda's asynchronous retries and the
function's on-failure destination (an SQS dead-letter queue) take over.
"""

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.service import sync_eventbridge_event


@tolerate_missing_context
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    report = sync_eventbridge_event(event, context)
    return {"applied": report.applied, "skipped": report.skipped}
