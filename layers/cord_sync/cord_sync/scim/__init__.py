"""The SCIM 2.0 service provider (RFC 7643/7644) behind `functions/scim`.

Modules: config (SCIM_* settings), resources (scim2-models: User with the enterprise extension, Group, the
ServiceProviderConfig and discovery documents), store (DynamoDB items, conditional writes), mapping (SCIM to
Cord ids and canonical events), service (the operations), http (HTTP API events, routing, auth, the error table).
Importing `cord_sync.scim.http` loads scim2-models (about a second): do it once per container.
"""
