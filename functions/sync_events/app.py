"""EventBridge consumer: canonical change events, Okta log streaming and Auth0 Log and Event Streams.

One event per invocation, mapped onto canonical events by the layer and applied to Cord. Events of unknown
sources or types are skipped; an invalid relevant event or a change Cord did not take raises, so Lambda's
asynchronous retries and the function's on-failure destination (an SQS dead-letter queue) take over.
"""

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.service import sync_eventbridge_event


@tolerate_missing_context
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True, log_event=False)  # events carry emails: never log them whole
def lambda_handler(event, context):
    report = sync_eventbridge_event(event, context)
    return {"applied": report.applied, "skipped": report.skipped}
