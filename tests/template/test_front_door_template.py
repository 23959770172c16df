"""The front doors in template.yaml: routes, API limits and logs, the state table, secrets, least privilege,
settings the code reads, the identity-provider rules (put on moto buses) and the outputs.

Like test_sam_template.py this reads the template with PyYAML; the names the code uses are imported from the
layer, so a renamed variable or a changed schema fails here rather than after a deployment.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cord_sync import state
from lambda_runtime import ROOT
from tests.template.test_sam_template import (
    function_timeout,
    is_getatt,
    is_ref,
    of_type,
    props,
    referenced_ids,
    statements,
)

# (method, path) -> function: every route of the HTTP API.
ROUTES = {
    ("ANY", "/scim/v2"): "ScimFunction",
    ("ANY", "/scim/v2/{proxy+}"): "ScimFunction",
    ("GET", "/webhooks/okta"): "WebhooksFunction",
    ("POST", "/webhooks/okta"): "WebhooksFunction",
    ("POST", "/webhooks/events"): "WebhooksFunction",
    ("ANY", "/webhooks/{proxy+}"): "WebhooksFunction",
}
API_INTEGRATION_LIMIT_MS = 30_000
OKTA_DEADLINE_S = 3

# Environment variable -> the parameter it carries (or the resource it names).
SCIM_SETTINGS = {
    "SCIM_USER_ID_SOURCE": "ScimUserIdSource",
    "SCIM_GROUP_ID_SOURCE": "ScimGroupIdSource",
    "SCIM_GROUPS": "ScimGroups",
    "SCIM_GROUP_PATTERN": "ScimGroupPattern",
    "SCIM_DEFAULT_ORGANIZATION_ID": "ScimDefaultOrganizationId",
    "SCIM_DEFAULT_ORGANIZATION_NAME": "ScimDefaultOrganizationName",
}
OKTA_SETTINGS = {"OKTA_USER_ID_SOURCE": "OktaUserIdSource", "OKTA_GROUP_ID_SOURCE": "OktaGroupIdSource"}
AUTH0_SETTINGS = {"AUTH0_ORGANIZATION_ID_SOURCE": "Auth0OrganizationIdSource"}
# Secret env var -> (secret created by the stack, parameter naming an existing one).
SECRET_ENV = {
    "ScimFunction": {"SCIM_TOKEN_SECRET_ARN": ("ScimTokenSecret", "ScimTokenSecretArn")},
    "WebhooksFunction": {
        "OKTA_HOOK_SECRET_ARN": ("OktaHookSecret", "OktaHookSecretArn"),
        "WEBHOOK_SECRET_ARN": ("WebhookSigningSecret", "WebhookSigningSecretArn"),
    },
}
# What each front door may do, on which resource (and nothing else, anywhere).
ALLOWED_ACTIONS = {
    "ScimFunction": {
        "StateTable": {
            "dynamodb:GetItem",
            "dynamodb:BatchGetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
        },
        "SyncQueue": {"sqs:SendMessage"},
    },
    "WebhooksFunction": {
        "StateTable": {"dynamodb:PutItem", "dynamodb:DeleteItem"},
        "SyncQueue": {"sqs:SendMessage"},
    },
}
ACCESS_LOG_FIELDS = {
    "requestId",
    "ip",
    "requestTime",
    "httpMethod",
    "routeKey",
    "status",
    "protocol",
    "responseLength",
    "integrationLatency",
    "integrationErrorMessage",
    "errorMessage",
}
IDP_RULES = {
    "OktaLogStreamRule": ("OktaEventBusName", "HasOktaEventBus", "OKTA_LOG_PATTERN"),
    "Auth0LogStreamRule": ("Auth0EventBusName", "HasAuth0EventBus", "AUTH0_LOG_PATTERN"),
    "Auth0EventStreamRule": ("Auth0EventStreamBusName", "HasAuth0EventStreamBus", "AUTH0_EVENT_STREAM_PATTERN"),
}


def env_of(resource: dict[str, Any]) -> dict[str, Any]:
    return (props(resource).get("Environment") or {}).get("Variables") or {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --------------------------------------------------------------------------------------------- HTTP API
def test_routes_map_to_the_right_functions(resources):
    routes = {}
    for name, fn in of_type(resources, "AWS::Serverless::Function").items():
        for event_name, event in (props(fn).get("Events") or {}).items():
            if event["Type"] != "HttpApi":
                continue
            p = event["Properties"]
            assert is_ref(p["ApiId"], "HttpApi"), f"{name}.{event_name} is not on HttpApi"
            assert p["PayloadFormatVersion"] == "2.0", f"{name}.{event_name}"
            routes[(p["Method"], p["Path"])] = name
    assert routes == ROUTES
    assert list(of_type(resources, "AWS::Serverless::HttpApi")) == ["HttpApi"]


@pytest.mark.parametrize("function", ["ScimFunction", "WebhooksFunction"])
def test_functions_finish_before_the_api_gives_up(template, resources, function):
    timeout_s = function_timeout(template, resources[function])
    for event in props(resources[function])["Events"].values():
        integration_ms = event["Properties"]["TimeoutInMillis"]
        assert timeout_s * 1000 < integration_ms <= API_INTEGRATION_LIMIT_MS, function


def test_webhooks_answer_fast_and_scim_has_memory_for_pydantic(template, resources):
    webhooks = resources["WebhooksFunction"]
    assert function_timeout(template, webhooks) <= OKTA_DEADLINE_S + 2
    assert 512 <= props(resources["ScimFunction"])["MemorySize"] <= 1024
    assert function_timeout(template, resources["ScimFunction"]) <= 15


def test_reserved_concurrency_is_optional(template, resources):
    assert template["Conditions"]["ReserveFrontDoorConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "FrontDoorReservedConcurrency"}, "0"]}]
    }
    assert template["Parameters"]["FrontDoorReservedConcurrency"]["Default"] == 0
    for function in ("ScimFunction", "WebhooksFunction"):
        assert props(resources[function])["ReservedConcurrentExecutions"] == {
            "Fn::If": ["ReserveFrontDoorConcurrency", {"Ref": "FrontDoorReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
        }


def test_the_api_has_no_authorizer_because_the_functions_authenticate(resources):
    api = props(resources["HttpApi"])
    assert "Auth" not in api
    for fn in ("ScimFunction", "WebhooksFunction"):
        for event in props(resources[fn])["Events"].values():
            assert "Auth" not in event["Properties"]
    # ...which is only safe because every function has its secret (see test_secrets_*).
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert "No authorizer on purpose" in text


def test_api_throttling_comes_from_parameters_with_headroom_for_entra(template, resources):
    settings = props(resources["HttpApi"])["DefaultRouteSettings"]
    assert is_ref(settings["ThrottlingBurstLimit"], "ApiThrottlingBurstLimit")
    assert is_ref(settings["ThrottlingRateLimit"], "ApiThrottlingRateLimit")
    parameters = template["Parameters"]
    assert parameters["ApiThrottlingBurstLimit"]["Default"] == 100
    # Entra ID's gallery requirement is 25 requests per second per tenant.
    assert parameters["ApiThrottlingRateLimit"]["Default"] >= 2 * 25
    assert parameters["ApiThrottlingRateLimit"]["MinValue"] >= 1


def test_access_logs_are_json_request_metadata_in_a_retained_group(resources):
    logs = props(resources["HttpApi"])["AccessLogSettings"]
    assert is_getatt(logs["DestinationArn"], "HttpApiAccessLogGroup", "Arn")
    group = props(resources["HttpApiAccessLogGroup"])
    assert is_ref(group["RetentionInDays"], "LogRetentionInDays")
    text = logs["Format"]
    variables = re.findall(r"\$context\.[A-Za-z.]+", text)
    # API Gateway substitutes each $context variable; the result must be one JSON object per request.
    record = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "value", text))
    assert set(record) == ACCESS_LOG_FIELDS
    assert len(variables) == len(ACCESS_LOG_FIELDS)
    # Never headers (bearer tokens, hook secrets, signatures) nor bodies (personal data).
    assert not re.search(r"header|body|authorizer|\$request|\$input", text, re.IGNORECASE)


# --------------------------------------------------------------------------------------------- state table
def test_table_equals_cord_sync_state(resources):
    table = resources["StateTable"]
    p = props(table)
    assert p["KeySchema"] == list(state.KEY_SCHEMA)
    assert p["AttributeDefinitions"] == list(state.ATTRIBUTE_DEFINITIONS)
    assert p["TimeToLiveSpecification"] == {"AttributeName": state.TTL_ATTRIBUTE, "Enabled": True}
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert "TableName" not in p, "one stack, one table: let CloudFormation name it"
    assert not {"GlobalSecondaryIndexes", "LocalSecondaryIndexes"} & set(p), "the code queries no index"


def test_table_is_recoverable_encrypted_and_retained(resources):
    table = resources["StateTable"]
    assert props(table)["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props(table)["SSESpecification"]["SSEEnabled"] is True
    # The SCIM source of truth survives a stack delete and a replacement.
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


@mock_aws
def test_the_template_table_accepts_what_the_code_writes(resources):
    """Create the table from the template's properties and write the shape the code writes, TTL included."""
    p = props(resources["StateTable"])
    client = boto3.client("dynamodb", region_name="us-east-1")
    client.create_table(
        TableName="from-template",
        KeySchema=p["KeySchema"],
        AttributeDefinitions=p["AttributeDefinitions"],
        BillingMode=p["BillingMode"],
    )
    ttl = p["TimeToLiveSpecification"]
    client.update_time_to_live(TableName="from-template", TimeToLiveSpecification=ttl)
    state.create_table(client, "from-code")
    described = {name: client.describe_table(TableName=name)["Table"] for name in ("from-template", "from-code")}
    assert described["from-template"]["KeySchema"] == described["from-code"]["KeySchema"]
    ttls = {name: client.describe_time_to_live(TableName=name)["TimeToLiveDescription"] for name in described}
    assert ttls["from-template"] == ttls["from-code"]
    client.put_item(
        TableName="from-template",
        Item={"pk": {"S": "webhook#msg_1"}, "sk": {"S": "replay"}, state.TTL_ATTRIBUTE: {"N": "1700000000"}},
    )


# --------------------------------------------------------------------------------------------- settings
def test_front_door_environment(resources):
    scim, webhooks = env_of(resources["ScimFunction"]), env_of(resources["WebhooksFunction"])
    for env in (scim, webhooks):
        assert is_ref(env[state.TABLE_ENV], "StateTable")
        assert is_ref(env["SYNC_QUEUE_URL"], "SyncQueue")
    for variable, parameter in SCIM_SETTINGS.items():
        assert is_ref(scim[variable], parameter), variable
    for variable, parameter in OKTA_SETTINGS.items():
        assert is_ref(webhooks[variable], parameter), variable
    for function, secrets in SECRET_ENV.items():
        env = env_of(resources[function])
        for variable, (secret, parameter) in secrets.items():
            assert env[variable] == {"Fn::If": [f"Create{secret}", {"Ref": secret}, {"Ref": parameter}]}, variable
    assert set(scim) == {state.TABLE_ENV, "SYNC_QUEUE_URL", *SCIM_SETTINGS, *SECRET_ENV["ScimFunction"]}
    assert set(webhooks) == {state.TABLE_ENV, "SYNC_QUEUE_URL", *OKTA_SETTINGS, *SECRET_ENV["WebhooksFunction"]}


def test_events_function_reads_the_idp_id_sources(resources):
    env = env_of(resources["SyncEventsFunction"])
    assert {k: v["Ref"] for k, v in env.items()} == {**OKTA_SETTINGS, **AUTH0_SETTINGS}


def test_names_and_choices_equal_what_the_code_reads(template):
    """The variables and allowed values in the template are the ones the layer defines."""
    from cord_sync import publish, webhooks
    from cord_sync.adapters import auth0, okta
    from cord_sync.scim import config

    assert publish.QUEUE_URL_ENV == "SYNC_QUEUE_URL"
    assert {webhooks.OKTA_SECRET_ENV, webhooks.WEBHOOK_SECRET_ENV} == set(SECRET_ENV["WebhooksFunction"])
    assert set(config.ENV_NAMES) == set(SCIM_SETTINGS)
    assert {okta.USER_ID_SOURCE_ENV, okta.GROUP_ID_SOURCE_ENV} == set(OKTA_SETTINGS)
    assert {auth0.ORGANIZATION_ID_SOURCE_ENV} == set(AUTH0_SETTINGS)
    parameters = template["Parameters"]
    choices = {
        "ScimUserIdSource": config.USER_ID_SOURCES,
        "ScimGroupIdSource": config.GROUP_ID_SOURCES,
        "ScimGroups": config.GROUP_MODES,
        "OktaUserIdSource": okta.USER_ID_SOURCES,
        "OktaGroupIdSource": okta.GROUP_ID_SOURCES,
        "Auth0OrganizationIdSource": auth0.ORGANIZATION_ID_SOURCES,
    }
    for parameter, allowed in choices.items():
        assert parameters[parameter]["AllowedValues"] == list(allowed), parameter
        # The documented default is the code's default (the first choice).
        assert parameters[parameter]["Default"] == allowed[0], parameter


def test_scim_group_rules_fail_the_deploy_like_the_code_fails_closed(template):
    rules = template["Rules"]
    none = rules["NoGroupsNeedsDefaultOrganization"]
    assert none["RuleCondition"] == {"Fn::Equals": [{"Ref": "ScimGroups"}, "none"]}
    (assertion,) = none["Assertions"]
    assert referenced_ids(assertion["Assert"]) == {"ScimDefaultOrganizationId", "ScimDefaultOrganizationName"}
    matching = rules["MatchingNeedsGroupPattern"]
    assert matching["RuleCondition"] == {"Fn::Equals": [{"Ref": "ScimGroups"}, "matching"]}
    (assertion,) = matching["Assertions"]
    assert referenced_ids(assertion["Assert"]) == {"ScimGroupPattern"}


# --------------------------------------------------------------------------------------------- least privilege
@pytest.mark.parametrize("function", sorted(ALLOWED_ACTIONS))
def test_front_door_policies_name_exact_resources(resources, function):
    granted: dict[str, set[str]] = {}
    for policy in props(resources[function])["Policies"]:
        for statement in statements(policy):
            assert statement["Effect"] == "Allow"
            targets = as_list(statement["Resource"])
            assert len(targets) == 1, statement
            (target,) = targets
            assert isinstance(target, dict) and "Fn::GetAtt" in target, f"{function}: {target!r} is not one resource"
            logical_id, attribute = target["Fn::GetAtt"]
            assert attribute == "Arn"
            granted.setdefault(logical_id, set()).update(as_list(statement["Action"]))
    assert granted == ALLOWED_ACTIONS[function]
    for actions in granted.values():
        assert not any("*" in action for action in actions), function


def test_secrets_are_generated_or_left_empty_never_written_by_the_template(resources):
    for name in ("ScimTokenSecret", "OktaHookSecret"):
        secret = resources[name]
        assert secret["Condition"] == f"Create{name}"
        generated = props(secret)["GenerateSecretString"]
        assert generated["PasswordLength"] >= 48
        # Printable in an Authorization header and in an IdP's admin console.
        assert generated["ExcludePunctuation"] is True
        assert "SecretString" not in props(secret)
    # "whsec_" + base64 cannot be generated: the secret starts without any value (the function refuses every
    # signed webhook until one is put), and later template versions cannot overwrite the operator's value.
    signing = resources["WebhookSigningSecret"]
    assert signing["Condition"] == "CreateWebhookSigningSecret"
    assert not {"SecretString", "GenerateSecretString"} & set(props(signing))
    assert "put-secret-value" in (ROOT / "template.yaml").read_text(encoding="utf-8")


def test_each_secret_parameter_switches_its_secret(template):
    conditions = template["Conditions"]
    for secret, parameter in (
        ("ScimTokenSecret", "ScimTokenSecretArn"),
        ("OktaHookSecret", "OktaHookSecretArn"),
        ("WebhookSigningSecret", "WebhookSigningSecretArn"),
    ):
        assert conditions[f"Create{secret}"] == {"Fn::Equals": [{"Ref": parameter}, ""]}
        assert template["Parameters"][parameter]["Default"] == ""


# --------------------------------------------------------------------------------------------- IdP rules
def normalized(pattern: Any) -> Any:
    """An event pattern with its value lists sorted (their order means nothing to EventBridge)."""
    if isinstance(pattern, dict):
        return {key: normalized(value) for key, value in pattern.items()}
    if isinstance(pattern, list):
        items = [normalized(value) for value in pattern]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return pattern


@pytest.mark.parametrize("rule", sorted(IDP_RULES))
def test_idp_rule_patterns_equal_the_adapters(template, resources, rule):
    from cord_sync.adapters import eventbridge

    bus_parameter, condition, constant = IDP_RULES[rule]
    resource = resources[rule]
    assert normalized(props(resource)["EventPattern"]) == normalized(getattr(eventbridge, constant))
    assert resource["Condition"] == condition
    assert template["Conditions"][condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": bus_parameter}, ""]}]}
    assert is_ref(props(resource)["EventBusName"], bus_parameter)
    assert template["Parameters"][bus_parameter]["Default"] == ""


# Tiny events beside the realistic samples in events/: (source, detail-type, detail).
OKTA = "aws.partner/okta.com/dev-1/cord-sync"
AUTH0_LOGS = "aws.partner/auth0.com/acme-1/auth0.logs"
AUTH0_EVENTS = "aws.partner/auth0.com/acme-1/auth0.events"
TINY_EVENTS = {
    "okta-deactivate": (
        OKTA,
        "SystemLog",
        {"eventType": "user.lifecycle.deactivate", "outcome": {"result": "SUCCESS"}},
    ),
    "okta-failed-deactivate": (
        OKTA,
        "SystemLog",
        {"eventType": "user.lifecycle.deactivate", "outcome": {"result": "FAILURE"}},
    ),
    "okta-login": (OKTA, "SystemLog", {"eventType": "user.session.start", "outcome": {"result": "SUCCESS"}}),
    "okta-shape-elsewhere": (
        "hr.example",
        "SystemLog",
        {"eventType": "user.lifecycle.create", "outcome": {"result": "SUCCESS"}},
    ),
    "auth0-signup": (AUTH0_LOGS, "Auth0 log", {"log_id": "1", "data": {"type": "ss"}}),
    "auth0-failed-signup": (AUTH0_LOGS, "Auth0 log", {"log_id": "2", "data": {"type": "fs"}}),
    "auth0-api-users": (
        AUTH0_LOGS,
        "Auth0 log",
        {"log_id": "3", "data": {"type": "sapi", "details": {"request": {"path": "/api/v2/users/auth0%7C1"}}}},
    ),
    "auth0-api-clients": (
        AUTH0_LOGS,
        "Auth0 log",
        {"log_id": "4", "data": {"type": "sapi", "details": {"request": {"path": "/api/v2/clients/x"}}}},
    ),
    "auth0-member-added": (
        AUTH0_EVENTS,
        "organization.member.added",
        {"specversion": "1.0", "type": "organization.member.added", "id": "evt_1"},
    ),
    "auth0-role-assigned": (
        AUTH0_EVENTS,
        "organization.member.role.assigned",
        {"specversion": "1.0", "type": "organization.member.role.assigned", "id": "evt_2"},
    ),
    "canonical-upsert": ("hr.example", "user.upsert", {"id": "u1", "email": "u1@example.com"}),
}
TINY_EXPECTED = {
    "okta-deactivate": "OktaLogStreamRule",
    "auth0-signup": "Auth0LogStreamRule",
    "auth0-api-users": "Auth0LogStreamRule",
    "auth0-member-added": "Auth0EventStreamRule",
    "canonical-upsert": "SyncEventsRule",
}


def partner_samples() -> dict[str, dict[str, Any]]:
    samples = {}
    for path in sorted((ROOT / "events").glob("*.json")):
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(event, dict) and {"source", "detail-type", "detail"} <= set(event):
            samples[path.name] = event
    return samples


def route(template: dict[str, Any], events: dict[str, tuple[str, str, Any]]) -> dict[str, set[str]]:
    """Put every rule on its own moto bus, send every event to every bus; name -> rules that delivered it."""
    rules = ["SyncEventsRule", *IDP_RULES]
    delivered: dict[str, set[str]] = {name: set() for name in events}
    sqs, bridge = boto3.client("sqs"), boto3.client("events")
    queues = {}
    for rule in rules:
        url = sqs.create_queue(QueueName=rule)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = f"bus-{rule}"  # moto cannot create partner buses (they need a real partner event source)
        bridge.create_event_bus(Name=bus)
        pattern = template["Resources"][rule]["Properties"]["EventPattern"]
        bridge.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(pattern))
        bridge.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        queues[rule] = url
        entries = [
            {"EventBusName": bus, "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}
            for source, detail_type, detail in events.values()
        ]
        for start in range(0, len(entries), 10):
            assert bridge.put_events(Entries=entries[start : start + 10])["FailedEntryCount"] == 0
    names = {json.dumps(detail, sort_keys=True) + source: name for name, (source, _, detail) in events.items()}
    for rule, url in queues.items():
        while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in got:
                body = json.loads(message["Body"])
                delivered[names[json.dumps(body["detail"], sort_keys=True) + body["source"]]].add(rule)
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return delivered


@mock_aws
def test_rules_route_tiny_idp_events_to_one_rule_each(template):
    delivered = route(template, TINY_EVENTS)
    assert {name: rules for name, rules in delivered.items() if rules} == {
        name: {rule} for name, rule in TINY_EXPECTED.items()
    }


RULE_OF_KIND = {
    "okta-log-stream": "OktaLogStreamRule",
    "auth0-log-stream": "Auth0LogStreamRule",
    "auth0-event-stream": "Auth0EventStreamRule",
    "canonical": "SyncEventsRule",
}


@mock_aws
def test_rules_deliver_every_sample_the_adapters_act_on_and_drop_the_rest(template, monkeypatch):
    """The realistic samples in events/: each one the adapters turn into changes reaches the function through
    exactly the rule for its kind; each one a rule drops is one the adapters would skip."""
    from cord_sync.adapters import eventbridge

    for variable in (*OKTA_SETTINGS, *AUTH0_SETTINGS):
        monkeypatch.delenv(variable, raising=False)
    samples = partner_samples()
    if not any(e["source"].startswith("aws.partner/") for e in samples.values()):
        pytest.skip("no Okta or Auth0 sample events in events/")
    delivered = route(template, {n: (e["source"], e["detail-type"], e["detail"]) for n, e in samples.items()})
    acted_on = 0
    for name, event in samples.items():
        classified = eventbridge.classify(event)
        if classified.changes:
            acted_on += 1
            assert delivered[name] == {RULE_OF_KIND[classified.kind]}, f"{name} ({classified.kind})"
        else:
            assert len(delivered[name]) <= 1, name
        if not delivered[name]:
            assert not classified.changes, f"{name} is dropped by every rule but the adapters act on it"
    assert acted_on >= 3
    dropped = {name for name, rules in delivered.items() if not rules}
    assert dropped, "some samples (logins, client updates, sessions) should cost no invocation"


# --------------------------------------------------------------------------------------------- alarms, outputs
def test_alarms_watch_the_front_doors(resources):
    watched = {
        (props(a)["MetricName"], props(a)["Namespace"], frozenset(referenced_ids(props(a)["Dimensions"])))
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
    }
    assert ("Errors", "AWS/Lambda", frozenset({"ScimFunction"})) in watched
    assert ("Errors", "AWS/Lambda", frozenset({"WebhooksFunction"})) in watched
    assert ("5xx", "AWS/ApiGateway", frozenset({"HttpApi"})) in watched


def test_outputs_give_the_front_door_urls_and_names(template):
    outputs = template["Outputs"]
    base = "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    assert outputs["ScimBaseUrl"]["Value"] == {"Fn::Sub": f"{base}/scim/v2"}
    assert outputs["OktaHookUrl"]["Value"] == {"Fn::Sub": f"{base}/webhooks/okta"}
    assert outputs["SignedWebhookUrl"]["Value"] == {"Fn::Sub": f"{base}/webhooks/events"}
    # The URLs lead to routes that exist.
    paths = {path for _, path in ROUTES}
    for output in ("ScimBaseUrl", "OktaHookUrl", "SignedWebhookUrl"):
        assert outputs[output]["Value"]["Fn::Sub"].removeprefix(base) in paths
    assert is_ref(outputs["StateTableName"]["Value"], "StateTable")
    for secret, parameter in (
        ("ScimTokenSecret", "ScimTokenSecretArn"),
        ("OktaHookSecret", "OktaHookSecretArn"),
        ("WebhookSigningSecret", "WebhookSigningSecretArn"),
    ):
        assert outputs[parameter]["Value"] == {"Fn::If": [f"Create{secret}", {"Ref": secret}, {"Ref": parameter}]}
    for function in ("ScimFunction", "WebhooksFunction"):
        assert is_getatt(outputs[f"{function}Arn"]["Value"], function, "Arn")
    for rule, (_, condition, _) in IDP_RULES.items():
        assert outputs[f"{rule}Arn"]["Condition"] == condition


def test_new_parameters_are_grouped_under_front_door_labels(template):
    groups = {
        group["Label"]["default"]: group["Parameters"]
        for group in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    }
    assert set(SCIM_SETTINGS.values()) | {"ScimTokenSecretArn"} == set(groups["SCIM provisioning"])
    assert {"ApiThrottlingBurstLimit", "ApiThrottlingRateLimit"} <= set(groups["HTTP API"])
    for _, (bus_parameter, _, _) in IDP_RULES.items():
        assert bus_parameter in groups["Webhooks and identity-provider streams"]


def test_every_parameter_is_used(template):
    used = referenced_ids(
        [template.get(section) for section in ("Resources", "Conditions", "Rules", "Outputs", "Globals")]
    )
    unused = set(template["Parameters"]) - used
    assert not unused, f"parameters nothing reads: {sorted(unused)}"


def test_scim_policy_covers_exactly_the_calls_the_store_makes():
    """The SCIM function's DynamoDB actions are the client calls in cord_sync.scim.store, no more, no less."""
    import re
    from pathlib import Path

    import cord_sync.scim.store as store

    calls = set(re.findall(r"self\.client\.(\w+)\(", Path(store.__file__).read_text()))
    actions = {"dynamodb:" + "".join(part.title() for part in call.split("_")) for call in calls}
    assert actions == ALLOWED_ACTIONS["ScimFunction"]["StateTable"]
