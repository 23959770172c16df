"""The template as YAML, shared by the template tests."""

from typing import Any

import pytest

from tests.template.test_sam_template import load_template


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]
