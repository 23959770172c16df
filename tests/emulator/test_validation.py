"""Pure helpers behind the validation messages and identifier rules (no HTTP)."""

import pytest

from cord_emulator.errors import missing_fields_message, unexpected_field_message, users_not_found_message
from cord_emulator.validation import check_id, is_jwt_shaped, is_valid_external_id, js_number_string


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (42, "42"),
        (-7, "-7"),
        (42.0, "42"),
        (1.5, "1.5"),
        (-0.0, "0"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (123456789012345680000, "123456789012345680000"),
        (1e21, "1e+21"),
        (1.25e22, "1.25e+22"),
        (2**64, "18446744073709552000"),
    ],
)
def test_numbers_are_stringified_like_javascript(number, text):
    assert js_number_string(number) == text


@pytest.mark.parametrize(
    ("value", "valid"),
    [("a", True), ("x" * 320, True), ("", False), ("x" * 321, False), ("cord:1", False), ("a\u200db", False)],
)
def test_path_identifier_rule(value, valid):
    assert is_valid_external_id(value) is valid


@pytest.mark.parametrize("value", [10**400, float("inf"), True, None, "", "x" * 129, [], {}])
def test_body_identifier_rejections(value):
    assert check_id(value) == "identifier"


@pytest.mark.parametrize("value", ["a.b.c", "..", "eyJ.e30.", "a-b_c.d.e"])
def test_jwt_shape(value):
    assert is_jwt_shaped(value)


@pytest.mark.parametrize("value", ["a.b", "a.b.c.d", "a b.c.d", "a=.b.c", "a+b.c.d"])
def test_not_jwt_shape(value):
    assert not is_jwt_shaped(value)


def test_message_builders():
    assert missing_fields_message(["a"]) == "Missing required field: a."
    assert missing_fields_message(["a", "b", "c"]) == "Missing required fields: a, b and c."
    assert unexpected_field_message("x", ["id"], []) == (
        "x is not a valid field name for this request. Expected 1 required field: id."
    )
    assert unexpected_field_message("x", ["id", "name"], ["a", "b"]) == (
        "x is not a valid field name for this request. Expected 2 required fields: id and name. "
        "2 optional fields: a and b."
    )
    assert users_not_found_message([]) == "Platform user  not found."
    assert users_not_found_message(["a", "b"]) == "Platform users a and b not found."
