"""The stack on one machine: moto's server for AWS, the Cord emulator (or a real Cord), and the resources
template.yaml creates (sync queue and DLQ, state table, the four secrets), with the functions' environment.

`make serve`, `make demo` and `make bench` start it; `LocalStack.start(...)` returns once everything answers,
`stop()` takes it down again. Only fake credentials are ever set: nothing can reach a real AWS account.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from lambda_runtime import create_cord_secret, use_local_aws

DEFAULT_SCIM_TOKEN = "local-scim-token"
DEFAULT_OKTA_HOOK_SECRET = "local-okta-secret"
DEFAULT_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"local-webhook-signing-secret-32b").decode()
MAX_RECEIVE_COUNT = 3


@dataclass
class LocalStack:
    cord_url: str
    app_id: str
    cord_secret: str
    aws_url: str
    queue_url: str
    dlq_url: str
    table_name: str
    scim_token: str
    okta_hook_secret: str
    webhook_secret: str
    environment: dict[str, str]
    emulator: Any = None
    _moto: Any = field(default=None, repr=False)

    @classmethod
    def start(
        cls,
        *,
        cord_era: str = "2022",
        cord_url: str | None = None,
        app_id: str | None = None,
        cord_secret: str | None = None,
        auth_mode: str = "exchange",
        scim_token: str = DEFAULT_SCIM_TOKEN,
        okta_hook_secret: str = DEFAULT_OKTA_HOOK_SECRET,
        webhook_secret: str = DEFAULT_WEBHOOK_SECRET,
        max_receive_count: int = MAX_RECEIVE_COUNT,
        log_level: str = "INFO",
        extra_environment: dict[str, str] | None = None,
    ) -> LocalStack:
        use_local_aws(
            POWERTOOLS_SERVICE_NAME="cord-sync",
            POWERTOOLS_METRICS_NAMESPACE="CordSyncLocal",
            POWERTOOLS_LOG_LEVEL=log_level,
        )
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server would log every AWS call
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        host, port = moto.get_host_and_port()
        aws_url = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = aws_url

        emulator = None
        if cord_url is None:
            from cord_emulator import CordEmulator

            emulator = CordEmulator(host="127.0.0.1", port=0, era=cord_era)
            app = emulator.add_app()
            emulator.start()
            cord_url, app_id, cord_secret = emulator.url, app.app_id, app.secret
        assert app_id and cord_secret, "a Cord URL needs its app id and secret"

        import boto3

        from cord_sync.state import create_table

        sqs = boto3.client("sqs")
        secrets = boto3.client("secretsmanager")
        dlq_url = sqs.create_queue(QueueName="cord-sync-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receive_count)}
        queue_url = sqs.create_queue(QueueName="cord-sync-queue", Attributes={"RedrivePolicy": json.dumps(redrive)})[
            "QueueUrl"
        ]
        table_name = "cord-sync-state"
        create_table(boto3.client("dynamodb"), table_name)

        def secret(name: str, value: str) -> str:
            return secrets.create_secret(Name=name, SecretString=value)["ARN"]

        environment = {
            "CORD_API_URL": cord_url.rstrip("/"),
            "CORD_SECRET_ARN": create_cord_secret(app_id, cord_secret),
            "CORD_AUTH_MODE": auth_mode,
            "SYNC_QUEUE_URL": queue_url,
            "STATE_TABLE_NAME": table_name,
            "SCIM_TOKEN_SECRET_ARN": secret("cord-sync/scim-token", scim_token),
            "OKTA_HOOK_SECRET_ARN": secret("cord-sync/okta-hook-secret", okta_hook_secret),
            "WEBHOOK_SECRET_ARN": secret("cord-sync/webhook-signing-secret", webhook_secret),
            **(extra_environment or {}),
        }
        os.environ.update(environment)
        return cls(
            cord_url=cord_url.rstrip("/"),
            app_id=app_id,
            cord_secret=cord_secret,
            aws_url=aws_url,
            queue_url=queue_url,
            dlq_url=dlq_url,
            table_name=table_name,
            scim_token=scim_token,
            okta_hook_secret=okta_hook_secret,
            webhook_secret=webhook_secret,
            environment=environment,
            emulator=emulator,
            _moto=moto,
        )

    def dead_letters(self) -> list[dict[str, Any]]:
        """Take every message off the DLQ."""
        import boto3

        sqs = boto3.client("sqs")
        dead: list[dict[str, Any]] = []
        while got := sqs.receive_message(QueueUrl=self.dlq_url, MaxNumberOfMessages=10).get("Messages", []):
            for message in got:
                dead.append(message)
                sqs.delete_message(QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"])
        return dead

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
        if self._moto is not None:
            self._moto.stop()
