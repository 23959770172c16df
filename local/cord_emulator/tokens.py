"""JWT handling with the semantics of the Node ``jsonwebtoken`` package the Cord server uses.

``decode`` mirrors ``jsonwebtoken.decode`` (no verification; ``None`` payload when the header is unreadable,
the raw string when the payload is not JSON). ``verification_error`` mirrors ``jsonwebtoken.verify`` with
``algorithms: ['HS512']``: the checks run in the library's order and a failure is reported as the library's
error stringified (``"JsonWebTokenError: invalid signature"``), which is what the server puts in ``message``.
The HMAC itself is PyJWT's.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

ALGORITHM = "HS512"
_HS512 = HMACAlgorithm(HMACAlgorithm.SHA512)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _b64url(segment: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None


def _json(raw: bytes | None) -> Any:
    if raw is None:
        raise ValueError("undecodable segment")
    return json.loads(raw.decode("utf-8", errors="replace"), parse_constant=_reject_constant)


def is_object(value: Any) -> bool:
    """JavaScript's ``value instanceof Object`` for decoded JSON: objects and arrays."""
    return isinstance(value, dict | list)


def is_js_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_js_falsy(value: Any) -> bool:
    return value is None or value is False or value == "" or (is_js_number(value) and value == 0)


@dataclass(frozen=True, slots=True)
class DecodedToken:
    """A JWT-shaped string split and decoded without verification."""

    header: dict[str, Any] | None
    payload: Any  # dict or list when decodable as JSON object/array, else None or the raw string
    signing_input: bytes
    signature: bytes | None
    has_signature: bool

    @property
    def claims(self) -> dict[str, Any]:
        return self.payload if isinstance(self.payload, dict) else {}


def decode(token: str) -> DecodedToken:
    """Split a token that passed ``is_jwt_shaped`` (three segments)."""
    header_segment, payload_segment, signature_segment = token.split(".")
    header: dict[str, Any] | None
    payload: Any = None
    try:
        parsed_header = _json(_b64url(header_segment))
    except ValueError:
        parsed_header = None
    header = parsed_header if isinstance(parsed_header, dict) else None
    if header is not None:
        raw_payload = _b64url(payload_segment)
        try:
            payload = _json(raw_payload)
        except ValueError:
            payload = None
        if not is_object(payload):  # like jsonwebtoken: anything but an object/array stays the raw text
            payload = None if raw_payload is None else raw_payload.decode("utf-8", errors="replace")
    return DecodedToken(
        header=header,
        payload=payload,
        signing_input=f"{header_segment}.{payload_segment}".encode("ascii"),
        signature=_b64url(signature_segment),
        has_signature=signature_segment.strip() != "",
    )


def verification_error(
    token: DecodedToken,
    key: bytes,
    *,
    now: int,
    clock_tolerance: int = 0,
    max_age: int | None = None,
) -> str | None:
    """``None`` when ``jsonwebtoken.verify`` would accept the token, else its error as the server shows it."""
    if token.header is None:
        return "JsonWebTokenError: invalid token"
    if not token.has_signature:
        return "JsonWebTokenError: jwt signature is required"
    if token.header.get("alg") != ALGORITHM:
        return "JsonWebTokenError: invalid algorithm"
    if token.signature is None or not _HS512.verify(token.signing_input, key, token.signature):
        return "JsonWebTokenError: invalid signature"
    claims = token.claims
    if "nbf" in claims:
        if not is_js_number(claims["nbf"]):
            return "JsonWebTokenError: invalid nbf value"
        if claims["nbf"] > now + clock_tolerance:
            return "NotBeforeError: jwt not active"
    if "exp" in claims:
        if not is_js_number(claims["exp"]):
            return "JsonWebTokenError: invalid exp value"
        if now >= claims["exp"] + clock_tolerance:
            return "TokenExpiredError: jwt expired"
    if max_age is not None:
        if not is_js_number(claims.get("iat")):
            return "JsonWebTokenError: iat required when maxAge is specified"
        if now >= claims["iat"] + max_age + clock_tolerance:
            return "TokenExpiredError: maxAge exceeded"
    return None


def sign(claims: dict[str, Any], key: str) -> str:
    return jwt.encode(claims, key, algorithm=ALGORITHM)
