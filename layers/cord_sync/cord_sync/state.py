"""The front doors' DynamoDB table: its name, its key schema, and creating it locally.

One table holds the SCIM resources (and their uniqueness and membership items) and the signed-webhook
replay records. Every item has a string partition key `pk` and sort key `sk`; items that should vanish
carry `expires_at` (epoch seconds, the table's TTL attribute). `template.yaml` declares the same schema;
a template test keeps the two equal.

    STATE_TABLE_NAME   the table's name (required by the SCIM and webhook front doors)
"""

from __future__ import annotations

import os
from typing import Any, Final

from cord_sync.errors import ConfigurationError

TABLE_ENV: Final = "STATE_TABLE_NAME"
TTL_ATTRIBUTE: Final = "expires_at"
KEY_SCHEMA: Final = (
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
)
ATTRIBUTE_DEFINITIONS: Final = (
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
)


def table_name() -> str:
    """The configured table's name; fails closed when it is not set."""
    name = os.environ.get(TABLE_ENV, "").strip()
    if not name:
        raise ConfigurationError(f"no state table is configured ({TABLE_ENV})")
    return name


def create_table(client: Any, name: str) -> None:
    """Create the table as the template does (on-demand, TTL on `expires_at`); for moto and local tools."""
    client.create_table(
        TableName=name,
        KeySchema=list(KEY_SCHEMA),
        AttributeDefinitions=list(ATTRIBUTE_DEFINITIONS),
        BillingMode="PAY_PER_REQUEST",
    )
    client.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )
