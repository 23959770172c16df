"""Shared test setup: no real AWS credentials, region fixed, network limited to 127.0.0.1 (pyproject)."""

import os

# Fake credentials so that nothing can ever reach a real AWS account; moto intercepts every call.
for _name, _value in {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": "cord-sync",
    "POWERTOOLS_METRICS_NAMESPACE": "CordSyncTests",
}.items():
    os.environ[_name] = _value
