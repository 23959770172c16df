"""The README's hand-signing recipe for /webhooks/events produces what the front door accepts."""

import base64
import re
import time

from cord_sync.webhooks import signing_keys, verify_signature
from http_gateway import http_api_event
from lambda_runtime import ROOT


def test_readme_signing_recipe_verifies():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("### Signed webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    secret = "whsec_" + base64.b64encode(b"a key for the README recipe test").decode()
    namespace: dict = {}
    exec(code.replace('"whsec_..."', repr(secret)), namespace)  # noqa: S102 - our own README's snippet
    event = http_api_event("POST", "/webhooks/events", headers=namespace["headers"], body=namespace["body"])
    signed = verify_signature(event, namespace["body"], signing_keys((secret,)), now=time.time())
    assert signed.id == namespace["msg_id"]
