"""The contract template.yaml keeps with the code, the operators and the external checks.

The template is read with PyYAML (CloudFormation short tags become plain `Ref` / `Fn::*` dicts), so these
tests need neither SAM CLI nor AWS. `make template` covers CloudFormation validity (sam validate --lint, then
cfn-lint on the translated template); this module covers intent: wiring, names, limits and least privilege.
"""

from __future__ import annotations

import ast
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"

CANONICAL_DETAIL_TYPES = {
    "user.upsert",
    "user.deactivate",
    "organization.upsert",
    "organization.deactivate",
    "organization.members.add",
    "organization.members.remove",
}
CORD_ENV = ("CORD_API_URL", "CORD_SECRET_ARN", "CORD_AUTH_MODE")
POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME": "cord-sync", "POWERTOOLS_METRICS_NAMESPACE": "CordSync"}
FUNCTION_CODE = {
    "SyncQueueFunction": "functions/sync_queue",
    "SyncEventsFunction": "functions/sync_events",
    "ScimFunction": "functions/scim",
    "WebhooksFunction": "functions/webhooks",
}
# The rules that deliver to SyncEventsFunction, and the bus condition each depends on (None: always there).
EVENT_RULES = {
    "SyncEventsRule": None,
    "OktaLogStreamRule": "HasOktaEventBus",
    "Auth0LogStreamRule": "HasAuth0EventBus",
    "Auth0EventStreamRule": "HasAuth0EventStreamBus",
}
# The secrets each function may read: (resource created by the stack, parameter naming an existing one).
FUNCTION_SECRETS = {
    "SyncQueueFunction": [("CordCredentialsSecret", "CordSecretArn")],
    "SyncEventsFunction": [("CordCredentialsSecret", "CordSecretArn")],
    "ScimFunction": [("ScimTokenSecret", "ScimTokenSecretArn")],
    "WebhooksFunction": [("OktaHookSecret", "OktaHookSecretArn"), ("WebhookSigningSecret", "WebhookSigningSecretArn")],
}
HANDLER = "app.lambda_handler"


# --------------------------------------------------------------------------------------------- loading
class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader that reads `!Ref X`, `!GetAtt A.B`, `!Sub ...`, `!If [...]` etc. as their long forms."""


def _construct_short_tag(loader: CloudFormationLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix in ("Ref", "Condition"):
        return {tag_suffix: value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


CloudFormationLoader.add_multi_constructor("!", _construct_short_tag)


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=CloudFormationLoader)  # noqa: S506 (safe subclass)


# --------------------------------------------------------------------------------------------- helpers
def of_type(resources: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in resources.items() if res["Type"] == type_name}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties") or {}


def is_ref(value: Any, logical_id: str) -> bool:
    return value == {"Ref": logical_id}


def is_getatt(value: Any, logical_id: str, attribute: str) -> bool:
    return value == {"Fn::GetAtt": [logical_id, attribute]}


def referenced_ids(value: Any) -> set[str]:
    """Logical ids a value refers to through Ref, GetAtt or ${...} in Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                found.add(inner[0] if isinstance(inner, list) else inner.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                found.update(m.split(".", 1)[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text))
                if isinstance(inner, list):
                    found.update(referenced_ids(inner[1]))
            else:
                found.update(referenced_ids(inner))
    elif isinstance(value, list):
        for inner in value:
            found.update(referenced_ids(inner))
    return found


def statements(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        return []
    found = document.get("Statement", [])
    return found if isinstance(found, list) else [found]


def policy_statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every identity- and resource-policy statement written in the template (KMS key policies excepted:
    there `"Resource": "*"` means the key itself)."""
    for name, res in resources.items():
        p = props(res)
        if res["Type"] == "AWS::Serverless::Function":
            for policy in p.get("Policies") or []:
                if isinstance(policy, dict) and "Statement" in policy:
                    for st in statements(policy):
                        yield name, st
        elif res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for st in statements(p.get("PolicyDocument")):
                yield name, st
        elif res["Type"] == "AWS::IAM::Role":
            for policy in p.get("Policies") or []:
                for st in statements(policy.get("PolicyDocument")):
                    yield name, st
        elif res["Type"] in ("AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            for st in statements(p.get("PolicyDocument")):
                yield name, st


def function_timeout(template: dict[str, Any], function: dict[str, Any]) -> int:
    globals_ = template.get("Globals", {}).get("Function", {})
    return int(props(function).get("Timeout", globals_.get("Timeout", 3)))


def function_code_dir(function: dict[str, Any]) -> str:
    return str(props(function)["CodeUri"]).rstrip("/")


# --------------------------------------------------------------------------------------------- tests
def test_is_a_sam_template(template):
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"


def test_functions_and_handlers(resources):
    functions = of_type(resources, "AWS::Serverless::Function")
    assert {name: function_code_dir(fn) for name, fn in functions.items()} == FUNCTION_CODE
    for name, fn in functions.items():
        assert props(fn)["Handler"] == HANDLER, name


@pytest.mark.parametrize("code_dir", sorted(FUNCTION_CODE.values()))
def test_handler_module_defines_lambda_handler(code_dir):
    app = ROOT / code_dir / "app.py"
    if not app.exists():
        pytest.skip(f"{code_dir}/app.py not written yet")
    tree = ast.parse(app.read_text(encoding="utf-8"))
    names = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    names |= {
        t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)
    }
    assert HANDLER.split(".")[1] in names, f"{app} has no module-level lambda_handler"


def test_layer_is_built_by_sam_from_layers_cord_sync(resources):
    layers = of_type(resources, "AWS::Serverless::LayerVersion")
    assert list(layers) == ["CordSyncLayer"]
    layer = layers["CordSyncLayer"]
    assert str(props(layer)["ContentUri"]).rstrip("/") == "layers/cord_sync"
    assert layer["Metadata"]["BuildMethod"] == "python3.13"
    assert props(layer)["CompatibleRuntimes"] == ["python3.13"]
    assert props(layer)["CompatibleArchitectures"] == ["arm64"]


def test_layer_requirements_pin_runtime_dependencies_without_boto3():
    lines = (ROOT / "layers/cord_sync/requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    names = {re.split(r"[=<>!~\[ ]", pin, maxsplit=1)[0].lower() for pin in pins}
    assert {"aws-lambda-powertools", "pyjwt", "urllib3", "fastjsonschema"} <= names
    assert all("==" in pin for pin in pins), pins
    assert not names & {"boto3", "botocore"}, "the Lambda runtime ships boto3: do not vendor it in the layer"


def test_globals_runtime_architecture_tracing_layer(template, resources):
    fn_globals = template["Globals"]["Function"]
    assert fn_globals["Runtime"] == "python3.13"
    assert fn_globals["Architectures"] == ["arm64"]
    assert fn_globals["Tracing"] == "Active"
    assert fn_globals["Layers"] == [{"Ref": "CordSyncLayer"}]
    for name, fn in of_type(resources, "AWS::Serverless::Function").items():
        for key in ("Runtime", "Architectures", "Layers"):
            assert key not in props(fn), f"{name} overrides Globals {key}"


def test_environment_names(template, resources):
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    for name in CORD_ENV:
        assert name in env
    assert is_ref(env["CORD_API_URL"], "CordApiUrl")
    assert is_ref(env["CORD_AUTH_MODE"], "CordAuthMode")
    assert referenced_ids(env["CORD_SECRET_ARN"]) == {"CordCredentialsSecret", "CordSecretArn"}
    for name, value in POWERTOOLS_ENV.items():
        assert env[name] == value
    assert is_ref(env["POWERTOOLS_LOG_LEVEL"], "LogLevel")
    for name, fn in of_type(resources, "AWS::Serverless::Function").items():
        local = (props(fn).get("Environment") or {}).get("Variables") or {}
        assert not set(local) & set(CORD_ENV), f"{name} overrides a Cord variable from Globals"


def test_sqs_consumer_uses_explicit_mapping_with_partial_batch_responses(template, resources):
    for name, fn in of_type(resources, "AWS::Serverless::Function").items():
        kinds = {event["Type"] for event in (props(fn).get("Events") or {}).values()}
        assert "SQS" not in kinds, f"{name}: `Events: SQS` attaches AWSLambdaSQSQueueExecutionRole"
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping")
    assert len(mappings) == 1
    mapping = props(next(iter(mappings.values())))
    assert is_getatt(mapping["EventSourceArn"], "SyncQueue", "Arn")
    assert is_ref(mapping["FunctionName"], "SyncQueueFunction")
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert is_ref(mapping["BatchSize"], "BatchSize")
    assert is_ref(mapping["MaximumBatchingWindowInSeconds"], "MaximumBatchingWindowInSeconds")
    assert is_ref(mapping["ScalingConfig"]["MaximumConcurrency"], "MaximumConcurrency")


def test_sync_queue_redrives_to_its_dead_letter_queue(resources):
    queue = props(resources["SyncQueue"])
    redrive = queue["RedrivePolicy"]
    assert is_getatt(redrive["deadLetterTargetArn"], "SyncDeadLetterQueue", "Arn")
    assert 1 <= int(redrive["maxReceiveCount"]) <= 10
    dlq = props(resources["SyncDeadLetterQueue"])
    assert int(dlq["MessageRetentionPeriod"]) == 14 * 24 * 3600


def test_queues_are_encrypted(resources):
    for name, queue in of_type(resources, "AWS::SQS::Queue").items():
        assert props(queue).get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props(queue), name


def test_visibility_timeout_is_at_least_six_function_timeouts(template, resources):
    for mapping in of_type(resources, "AWS::Lambda::EventSourceMapping").values():
        queue_id = props(mapping)["EventSourceArn"]["Fn::GetAtt"][0]
        function_id = props(mapping)["FunctionName"]["Ref"]
        timeout = function_timeout(template, resources[function_id])
        visibility = int(props(resources[queue_id])["VisibilityTimeout"])
        assert visibility >= 6 * timeout, f"{queue_id}: {visibility} s < 6 x {timeout} s"


def test_eventbridge_rule_matches_the_canonical_types(resources):
    rule = props(resources["SyncEventsRule"])
    detail_types = rule["EventPattern"]["detail-type"]
    assert sorted(detail_types) == sorted(CANONICAL_DETAIL_TYPES)
    assert len(detail_types) == len(set(detail_types))
    assert is_ref(rule["EventBusName"], "EventBusName")


def test_every_rule_delivers_to_the_events_function_with_retries_and_a_dead_letter_queue(template, resources):
    rules = of_type(resources, "AWS::Events::Rule")
    assert set(rules) == set(EVENT_RULES)
    permissions = [
        p
        for p in of_type(resources, "AWS::Lambda::Permission").values()
        if is_ref(props(p)["FunctionName"], "SyncEventsFunction")
    ]
    for name, resource in rules.items():
        assert resource.get("Condition") == EVENT_RULES[name], name
        # Created after the function's log group, so Lambda never creates /aws/lambda/<function> itself.
        assert resource.get("DependsOn") == "SyncEventsLogGroup", name
        rule = props(resource)
        assert rule["State"] == "ENABLED"
        (target,) = rule["Targets"]
        assert is_getatt(target["Arn"], "SyncEventsFunction", "Arn"), name
        assert target["RetryPolicy"] == {"MaximumRetryAttempts": 20, "MaximumEventAgeInSeconds": 21600}, name
        assert is_getatt(target["DeadLetterConfig"]["Arn"], "EventsDeadLetterQueue", "Arn"), name
        scoped = [p for p in permissions if is_getatt(props(p)["SourceArn"], name, "Arn")]
        assert len(scoped) == 1, f"{name}: expected one invoke permission scoped to the rule"
        assert props(scoped[0])["Principal"] == "events.amazonaws.com"
        assert props(scoped[0])["Action"] == "lambda:InvokeFunction"
        assert scoped[0].get("Condition") == EVENT_RULES[name], name
    assert len(permissions) == len(rules), "every invoke permission of SyncEventsFunction belongs to one rule"


def test_events_function_retries_then_fails_over_to_its_queue(resources):
    invoke = props(resources["SyncEventsFunction"])["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert 60 <= invoke["MaximumEventAgeInSeconds"] <= 21600
    on_failure = invoke["DestinationConfig"]["OnFailure"]
    assert on_failure["Type"] == "SQS"
    assert is_getatt(on_failure["Destination"], "EventsDeadLetterQueue", "Arn")


def test_events_dead_letter_queue_admits_only_the_rules(resources):
    (policy,) = (
        props(p)
        for p in of_type(resources, "AWS::SQS::QueuePolicy").values()
        if {"Ref": "EventsDeadLetterQueue"} in props(p)["Queues"]
    )
    (statement,) = statements(policy["PolicyDocument"])
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    sources = statement["Condition"]["ArnEquals"]["aws:SourceArn"]
    expected = []
    for rule, condition in EVENT_RULES.items():
        arn = {"Fn::GetAtt": [rule, "Arn"]}
        # A rule that may not exist is named only when it does.
        expected.append(arn if condition is None else {"Fn::If": [condition, arn, {"Ref": "AWS::NoValue"}]})
    assert sources == expected


def test_no_policy_statement_allows_every_resource(resources):
    checked = 0
    for name, statement in policy_statements(resources):
        checked += 1
        targets = statement.get("Resource", [])
        targets = targets if isinstance(targets, list) else [targets]
        assert targets, f"{name}: statement without Resource"
        assert "*" not in targets, f"{name}: statement with Resource '*'"
        assert all(not (isinstance(t, str) and t.endswith(":*")) for t in targets), name
    assert checked >= 3


def test_functions_use_no_broad_managed_policies(resources):
    for name, fn in of_type(resources, "AWS::Serverless::Function").items():
        for policy in props(fn).get("Policies") or []:
            assert not isinstance(policy, str), f"{name}: managed policy {policy!r}; use a scoped statement"


def test_functions_may_read_only_the_secrets_they_use(resources):
    functions = of_type(resources, "AWS::Serverless::Function")
    assert set(functions) == set(FUNCTION_SECRETS)
    for name, fn in functions.items():
        secret_policies = [
            p["AWSSecretsManagerGetSecretValuePolicy"]
            for p in props(fn)["Policies"]
            if isinstance(p, dict) and "AWSSecretsManagerGetSecretValuePolicy" in p
        ]
        granted = sorted(sorted(referenced_ids(p["SecretArn"])) for p in secret_policies)
        assert granted == sorted(sorted(pair) for pair in FUNCTION_SECRETS[name]), name
        for policy in props(fn)["Policies"]:
            for statement in statements(policy):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any(a.startswith("secretsmanager:") for a in actions), (
                    f"{name}: secret access outside the policy template"
                )


def test_created_secret_holds_no_credentials(template, resources):
    secret = resources["CordCredentialsSecret"]
    assert secret["Condition"] == "CreateCordSecret"
    assert template["Conditions"]["CreateCordSecret"] == {"Fn::Equals": [{"Ref": "CordSecretArn"}, ""]}
    value = json.loads(props(secret)["SecretString"])
    assert value == {"app_id": "", "secret": ""}


def test_every_function_has_a_log_group_with_retention(resources):
    groups = of_type(resources, "AWS::Logs::LogGroup").values()
    names = {props(g)["LogGroupName"].get("Fn::Sub") for g in groups}
    for name in of_type(resources, "AWS::Serverless::Function"):
        assert f"/aws/lambda/${{{name}}}" in names, name
    for group in groups:
        assert is_ref(props(group)["RetentionInDays"], "LogRetentionInDays")


def test_every_alarm_notifies_the_alarm_topic(resources):
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert alarms
    for name, alarm in alarms.items():
        p = props(alarm)
        assert p.get("AlarmActions"), f"{name} has no AlarmActions"
        assert all(is_ref(a, "AlarmTopic") for a in p["AlarmActions"]), name
        assert all(is_ref(a, "AlarmTopic") for a in p.get("OKActions", [])), name
        assert p["TreatMissingData"] == "notBreaching", name


def test_alarms_cover_dead_letter_queues_errors_and_backlog(resources):
    watched = {
        (props(a)["MetricName"], referenced_ids(props(a)["Dimensions"]).pop())
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
    }
    for dlq in ("SyncDeadLetterQueue", "EventsDeadLetterQueue"):
        assert ("ApproximateNumberOfMessagesVisible", dlq) in watched
    for fn in FUNCTION_CODE:
        assert ("Errors", fn) in watched
    assert ("ApproximateAgeOfOldestMessage", "SyncQueue") in watched


def test_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(resources):
    topic = props(resources["AlarmTopic"])
    # alias/aws/sns would silently drop every alarm notification: CloudWatch cannot use that key.
    assert is_ref(topic["KmsMasterKeyId"], "AlarmTopicKey")
    key_statements = statements(props(resources["AlarmTopicKey"])["KeyPolicy"])
    assert any(st.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for st in key_statements)
    subscription = resources["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert is_ref(props(subscription)["Endpoint"], "AlarmEmail")


def test_outputs_cover_queues_functions_secret_layer_topic_and_rule(template, resources):
    outputs = template["Outputs"]
    by_ref: dict[str, set[str]] = {}
    for name, output in outputs.items():
        assert output.get("Description"), f"output {name} has no Description"
        for logical_id in referenced_ids(output["Value"]):
            by_ref.setdefault(logical_id, set()).add(name)
    values = [output["Value"] for output in outputs.values()]
    for queue in of_type(resources, "AWS::SQS::Queue"):
        assert {"Ref": queue} in values, f"no URL output for {queue}"
        assert {"Fn::GetAtt": [queue, "Arn"]} in values, f"no ARN output for {queue}"
    for fn in of_type(resources, "AWS::Serverless::Function"):
        assert {"Fn::GetAtt": [fn, "Arn"]} in values, f"no ARN output for {fn}"
    for secret in of_type(resources, "AWS::SecretsManager::Secret"):
        assert secret in by_ref, f"no output for {secret}"
    for logical_id in ("CordSyncLayer", "AlarmTopic", "EventBusName", "HttpApi", "StateTable", *EVENT_RULES):
        assert logical_id in by_ref, f"no output for {logical_id}"


def test_parameters_are_described_constrained_and_grouped(template):
    parameters = template["Parameters"]
    expected = {
        "CordApiUrl",
        "CordAuthMode",
        "CordSecretArn",
        "EventBusName",
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "MaximumConcurrency",
        "LogRetentionInDays",
        "LogLevel",
        "AlarmEmail",
        "ScimTokenSecretArn",
        "ScimUserIdSource",
        "ScimGroupIdSource",
        "ScimGroups",
        "ScimGroupPattern",
        "ScimDefaultOrganizationId",
        "ScimDefaultOrganizationName",
        "OktaHookSecretArn",
        "WebhookSigningSecretArn",
        "OktaUserIdSource",
        "OktaGroupIdSource",
        "Auth0OrganizationIdSource",
        "OktaEventBusName",
        "Auth0EventBusName",
        "Auth0EventStreamBusName",
        "ApiThrottlingBurstLimit",
        "ApiThrottlingRateLimit",
        "FrontDoorReservedConcurrency",
    }
    assert set(parameters) == expected
    constraint_keys = {"AllowedValues", "AllowedPattern", "MinValue", "MaxValue"}
    for name, parameter in parameters.items():
        assert parameter.get("Description"), name
        assert constraint_keys & set(parameter), f"{name} is unconstrained"
    assert parameters["CordApiUrl"]["Default"] == "https://api.cord.com"
    assert parameters["CordAuthMode"]["AllowedValues"] == ["exchange", "server_token"]
    assert parameters["CordAuthMode"]["Default"] == "exchange"
    assert parameters["EventBusName"]["Default"] == "default"
    assert (parameters["BatchSize"]["MinValue"], parameters["BatchSize"]["MaxValue"]) == (1, 10000)
    assert (parameters["MaximumConcurrency"]["MinValue"], parameters["MaximumConcurrency"]["MaxValue"]) == (2, 1000)
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [name for group in groups for name in group["Parameters"]]
    assert sorted(grouped) == sorted(expected), "each parameter belongs to exactly one group"


@pytest.mark.parametrize(
    ("pattern_of", "good", "bad"),
    [
        (
            "CordApiUrl",
            ["https://api.cord.com", "http://cord.internal:8080"],
            ["ftp://api.cord.com", "api.cord.com", ""],
        ),
        (
            "CordSecretArn",
            ["", "arn:aws:secretsmanager:us-east-1:123456789012:secret:cord/credentials-AbCdEf"],
            ["cord/credentials", "arn:aws:ssm:us-east-1:123456789012:parameter/x"],
        ),
        ("AlarmEmail", ["", "ops@example.com"], ["ops", "ops@example"]),
        ("EventBusName", ["default", "cord-sync-events"], ["", "bad bus"]),
        *(
            (
                arn_parameter,
                ["", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cord-sync/front-door-Ab12Cd"],
                ["cord-sync/front-door", "arn:aws:kms:eu-west-1:123456789012:key/1"],
            )
            for arn_parameter in ("ScimTokenSecretArn", "OktaHookSecretArn", "WebhookSigningSecretArn")
        ),
        (
            "OktaEventBusName",
            ["", "aws.partner/okta.com/dev-123456/cord-sync"],
            ["default", "aws.partner/auth0.com/tenant/auth0.logs", "aws.partner/okta.com/"],
        ),
        *(
            (
                auth0_bus,
                ["", "aws.partner/auth0.com/acme-0c9f2d3e-7b1a-4c55-9e0f-0d1c2b3a4f5e/auth0.logs"],
                ["default", "aws.partner/okta.com/dev-123456/cord-sync", "aws.partner/auth0.com/"],
            )
            for auth0_bus in ("Auth0EventBusName", "Auth0EventStreamBusName")
        ),
        ("ScimDefaultOrganizationId", ["", "everyone", "org 1", "x" * 128], [" lead", "trail ", "x" * 129]),
        ("ScimGroupPattern", ["", "^cord-.*$", "x" * 256], ["x" * 257, "a\nb"]),
    ],
)
def test_parameter_patterns(template, pattern_of, good, bad):
    # CloudFormation matches AllowedPattern against the whole value.
    pattern = re.compile(template["Parameters"][pattern_of]["AllowedPattern"])
    for value in good:
        assert pattern.fullmatch(value), f"{pattern_of} should accept {value!r}"
    for value in bad:
        assert not pattern.fullmatch(value), f"{pattern_of} should reject {value!r}"


def test_large_batches_require_a_batching_window(template):
    rule = template["Rules"]["LargeBatchNeedsBatchingWindow"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "MaximumBatchingWindowInSeconds"}, "0"]}
    (assertion,) = rule["Assertions"]
    allowed, ref = assertion["Assert"]["Fn::Contains"]
    assert ref == {"Ref": "BatchSize"}
    assert allowed == [str(n) for n in range(1, 11)]


def test_samconfig_deploys_the_stack():
    config = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))
    assert config["version"] == 0.1
    assert config["default"]["global"]["parameters"]["stack_name"] == "cord-sync"
    deploy = config["default"]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["confirm_changeset"] is True
    assert config["default"]["validate"]["parameters"]["lint"] is True


# --------------------------------------------------------------------------------------------- events/
EVENT_FILES = sorted((ROOT / "events").glob("*.json"))


def test_event_files_are_valid_json():
    if not EVENT_FILES:
        pytest.skip("no events/*.json yet")
    for path in EVENT_FILES:
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            pytest.fail(f"{path.relative_to(ROOT)} is not valid JSON: {exc}")


def test_eventbridge_sample_events_match_the_rule():
    samples = {}
    for path in EVENT_FILES:
        try:
            event = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue  # reported by test_event_files_are_valid_json
        # Partner events (Okta, Auth0) are routed through their rules in test_front_door_template.py.
        if (
            isinstance(event, dict)
            and "detail-type" in event
            and not str(event.get("source")).startswith("aws.partner/")
        ):
            samples[path.name] = event["detail-type"]
    if not samples:
        pytest.skip("no canonical EventBridge sample events in events/")
    unmatched = {name: dt for name, dt in samples.items() if dt not in CANONICAL_DETAIL_TYPES}
    assert not unmatched, f"the rule would not deliver: {unmatched}"


def test_layer_requirements_equal_the_runtime_dependency_group():
    """The layer (what Lambda runs) and the test venv (what the tests run) pin the same versions."""
    import tomllib

    runtime = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["dependency-groups"]["runtime"]
    lines = (ROOT / "layers/cord_sync/requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = {line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")}
    assert pins == {pin.lower() for pin in runtime}
