"""Filters, pagination and attribute selection on /Users and /Groups (scim2-tester does not cover them)."""

from urllib.parse import quote

import pytest

from tests.scim.conftest import Aws, Scim, forget_clients, group_body, use_account, user_body


@pytest.fixture(scope="module")
def aws(mocked_aws):
    """One account for the module: these tests only read what `people` wrote."""
    with pytest.MonkeyPatch.context() as mp:
        account = Aws(next(mocked_aws))
        use_account(mp, account)
        yield account
    forget_clients()


@pytest.fixture(scope="module")
def scim(aws, scim_app):
    return Scim(scim_app.lambda_handler)


@pytest.fixture(scope="module")
def people(scim):
    """Five users (ids in creation order) and two groups."""
    specs = [
        ("ada@example.com", "ext-ada", "Ada Lovelace"),
        ("alan@example.com", "ext-alan", "Alan Turing"),
        ("grace@navy.example", "ext-grace", "Grace Hopper"),
        ("edsger@example.org", None, "Edsger Dijkstra"),
        ("barbara@example.com", "ext-barbara", "Barbara Liskov"),
    ]
    ids = {}
    for user_name, external_id, display in specs:
        body = user_body(user_name, external_id=external_id, displayName=display)
        if user_name.startswith("grace"):
            body["emails"] = [
                {"type": "home", "value": "grace@home.example"},
                {"type": "work", "value": "grace@navy.example"},
            ]
        ids[user_name.split("@")[0]] = scim.post("/Users", body).json()["id"]
    groups = {
        name: scim.post("/Groups", group_body(name, members, externalId=f"g-{name}")).json()["id"]
        for name, members in (("Pioneers", [ids["ada"], ids["alan"]]), ("Navy", [ids["grace"]]))
    }
    return ids, groups


def found(scim, path, query):
    response = scim.get(f"{path}?filter={quote(query)}")
    assert response.status == 200, response.json()
    return sorted(r["id"] for r in response.json()["Resources"])


USER_FILTERS = [
    ('userName eq "ADA@example.com"', ["ada"]),
    ('externalId eq "ext-alan"', ["alan"]),
    ('displayName eq "Grace Hopper"', ["grace"]),
    ('emails.value eq "grace@home.example"', ["grace"]),
    ('emails[type eq "work"].value eq "grace@navy.example"', ["grace"]),
    ('emails[type eq "work"].value eq "grace@home.example"', []),
    ('userName co "example.com"', ["ada", "alan", "barbara"]),
    ('userName sw "a"', ["ada", "alan"]),
    ("externalId pr", ["ada", "alan", "barbara", "grace"]),
    ('userName sw "a" and displayName co "Turing"', ["alan"]),
    ('userName eq "ada@example.com" or externalId eq "ext-barbara"', ["ada", "barbara"]),
    ('userName eq "ada@example.com" and externalId eq "nope"', []),
    ('userName eq "nobody@example.com"', []),
    ('not (userName co "example.com")', ["edsger", "grace"]),
]


def test_user_filters(scim, people):
    ids, _ = people
    for query, expected in USER_FILTERS:
        assert found(scim, "/Users", query) == sorted(ids[name] for name in expected), query


def test_filter_by_id_and_group_filters(scim, people):
    ids, groups = people
    assert found(scim, "/Users", f'id eq "{ids["edsger"]}"') == [ids["edsger"]]
    assert found(scim, "/Groups", 'displayName eq "pioneers"') == [groups["Pioneers"]]
    assert found(scim, "/Groups", 'displayName sw "N"') == [groups["Navy"]]
    assert found(scim, "/Groups", f'members.value eq "{ids["grace"]}"') == [groups["Navy"]]
    assert found(scim, "/Groups", 'externalId eq "g-Pioneers"') == [groups["Pioneers"]]


def test_malformed_filter_is_invalid_filter(scim):
    for query in ("userName eq", 'userName zz "x"', '(userName eq "a"', 'emails[type eq "work"', "and"):
        response = scim.get(f"/Users?filter={quote(query)}")
        assert response.status == 400, query
        assert response.json()["scimType"] == "invalidFilter", query
        assert response.json()["status"] == "400"


def test_pagination_is_stable_and_one_based(scim, people):
    ids, _ = people
    everyone = sorted(ids.values())
    pages = []
    for start in (1, 3, 5):
        page = scim.get(f"/Users?startIndex={start}&count=2").json()
        assert page["totalResults"] == 5
        assert page["startIndex"] == start
        pages.extend(r["id"] for r in page["Resources"])
        assert page["itemsPerPage"] == len(page["Resources"])
    assert pages == everyone
    assert scim.get("/Users?startIndex=6&count=2").json()["Resources"] == []
    # count=0 gives the total only; startIndex below 1 counts as 1
    assert scim.get("/Users?count=0").json()["itemsPerPage"] == 0
    assert scim.get("/Users?count=0").json()["totalResults"] == 5
    assert scim.get("/Users?startIndex=0&count=1").json()["Resources"][0]["id"] == everyone[0]
    # with a filter the total is of the matches
    query = quote('userName co "example.com"')
    filtered = scim.get(f"/Users?filter={query}&startIndex=2&count=1").json()
    assert filtered["totalResults"] == 3
    assert len(filtered["Resources"]) == 1


def test_sorting(scim, people):
    listing = scim.get("/Users?sortBy=userName&sortOrder=descending").json()
    names = [r["userName"] for r in listing["Resources"]]
    assert names == sorted(names, reverse=True)


def test_attributes_and_excluded_attributes(scim, people):
    ids, groups = people
    listing = scim.get("/Users?attributes=userName,emails").json()
    for resource in listing["Resources"]:
        assert set(resource) <= {"schemas", "id", "userName", "emails"}  # id is always returned
        assert "userName" in resource
    one = scim.get(f"/Users/{ids['ada']}?excludedAttributes=emails,name").json()
    assert "emails" not in one
    assert one["userName"] == "ada@example.com"
    group = scim.get(f"/Groups/{groups['Pioneers']}?excludedAttributes=members").json()
    assert "members" not in group
    assert group["displayName"] == "Pioneers"
    full = scim.get(f"/Groups/{groups['Pioneers']}").json()
    assert sorted(m["value"] for m in full["members"]) == sorted([ids["ada"], ids["alan"]])


def test_search_with_post(scim, people):
    ids, _ = people
    response = scim.post("/Users/.search", {"filter": 'userName sw "ed"', "attributes": ["userName"]})
    assert response.status == 200
    assert [r["id"] for r in response.json()["Resources"]] == [ids["edsger"]]
    both = scim.post("/.search", {"filter": 'displayName sw "Navy" or userName sw "alan"'}).json()
    assert both["totalResults"] == 2


def test_bad_paging_values_are_invalid_value(scim, people):
    response = scim.get("/Users?startIndex=abc")
    assert response.status == 400
    assert response.json()["scimType"] == "invalidValue"
