"""cord_sync: keeps a Cord workspace's users and organizations in step with an identity provider.

Modules: settings (environment), secrets (the Cord credentials), http (pooled transport with retries),
auth (app tokens, /v1/authorize and its cache), api (the Cord REST client), model (the canonical change
event), sync (coalesce and apply), service (Lambda wiring), errors (the error tree).
"""

__version__ = "0.1.0"
