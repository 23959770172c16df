"""SQS consumer: applies batches of canonical change events from the sync queue to Cord.

Returns a partial batch response: invalid records and records Cord would not take are reported in
`batchItemFailures` (the queue's redrive policy moves them to the DLQ); if every record fails, the
invocation fails.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from cord_sync.observability import logger, metrics, tolerate_missing_context
from cord_sync.service import sync_sqs_event

processor = BatchProcessor(event_type=EventType.SQS)


@tolerate_missing_context
@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True, log_event=False)  # events carry emails: never log them whole
def lambda_handler(event, context):
    report = sync_sqs_event(event, context)
    return process_partial_response(
        event=event, record_handler=report.raise_for_record, processor=processor, context=context
    )
