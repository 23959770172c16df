"""scim2-tester's conformance checks against the real handler over real HTTP."""

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.scim.conftest import TOKEN


def test_every_scim2_tester_check_succeeds(gateway):
    http = Client(base_url=gateway.url + "/scim/v2", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    results = check_server(SyncSCIMClient(http))
    failures = [(r.title, r.status.name, r.reason) for r in results if r.status is not Status.SUCCESS]
    assert len(results) > 100
    assert failures == []
