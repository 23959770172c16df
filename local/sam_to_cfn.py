"""Translate the SAM template into plain CloudFormation, offline, so cfn-lint can check the result.

cfn-lint >= 1.54 no longer runs the SAM transform and misses errors inside AWS::Serverless::* resources
(shared/docs/toolchain.md section 3.1). This script runs aws-sam-translator locally: local CodeUri/ContentUri
paths become s3:// placeholders and managed policies resolve from a fixed map, so no AWS call is made.

usage: AWS_DEFAULT_REGION=us-east-1 python local/sam_to_cfn.py template.yaml build/cfn.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

# Resource type -> property holding a local path that `sam build` / `sam package` would upload.
LOCAL_URI_PROPERTY = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}
PLACEHOLDER_URI = "s3://sam-to-cfn-placeholder/{logical_id}.zip"


class StaticManagedPolicies:
    """Managed-policy loader for the translator: answers from a fixed map instead of calling IAM."""

    def __init__(self, policies: dict[str, str] | None = None) -> None:
        self._policies = dict(policies or {})

    def load(self) -> dict[str, str]:
        return self._policies


def replace_local_uris(template: dict[str, Any]) -> list[str]:
    """Point every local CodeUri/ContentUri at an s3:// placeholder; return the logical ids changed."""
    changed = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        prop = LOCAL_URI_PROPERTY.get(resource.get("Type"))
        properties = resource.get("Properties") or {}
        value = properties.get(prop) if prop else None
        if isinstance(value, str) and not value.startswith("s3://"):
            properties[prop] = PLACEHOLDER_URI.format(logical_id=logical_id)
            changed.append(logical_id)
    return changed


def translate(template_text: str, parameter_values: dict[str, Any] | None = None) -> dict[str, Any]:
    template = yaml_parse(template_text)
    replace_local_uris(template)
    return transform(template, parameter_values or {}, StaticManagedPolicies())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", type=Path, help="SAM template (YAML or JSON)")
    parser.add_argument("output", type=Path, help="where to write the CloudFormation JSON")
    args = parser.parse_args(argv)

    if not os.environ.get("AWS_DEFAULT_REGION") and not os.environ.get("AWS_REGION"):
        parser.error("set AWS_DEFAULT_REGION (any region): the translator needs one to build ARNs")

    cfn = translate(args.template.read_text(encoding="utf-8"))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(cfn, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"{args.template} -> {args.output}: {len(cfn.get('Resources', {}))} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
