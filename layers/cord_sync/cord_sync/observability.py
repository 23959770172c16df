"""Logger and Metrics, made once per container and configured by POWERTOOLS_* variables."""

from __future__ import annotations

import logging
import os

from aws_lambda_powertools import Logger, Metrics

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "cord-sync")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "CordSync"), service=SERVICE)

# botocore logs whole response bodies at DEBUG, GetSecretValue's included: never let a DEBUG root logger
# (a Lambda application log level, a test harness) print the Cord secret.
for _name in ("botocore", "boto3"):
    if logging.getLogger(_name).level < logging.INFO:  # NOTSET (0) would inherit the root's level
        logging.getLogger(_name).setLevel(logging.INFO)
