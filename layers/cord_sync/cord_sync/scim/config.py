"""The SCIM front door's settings, read from the environment on every request (cheap; cached per value).

    SCIM_USER_ID_SOURCE             id | externalId | userName: the SCIM attribute that becomes the Cord user id
                                    (default id)
    SCIM_GROUP_ID_SOURCE            id | externalId | displayName: the attribute that becomes the Cord
                                    organization id (default id)
    SCIM_GROUPS                     all | matching | none: which groups become Cord organizations (default all)
    SCIM_GROUP_PATTERN              Python regex matched in full against displayName (required with matching)
    SCIM_DEFAULT_ORGANIZATION_ID    with SCIM_GROUPS=none: the organization every synced user is put in
    SCIM_DEFAULT_ORGANIZATION_NAME  its name (both required with none)

Invalid values raise ConfigurationError naming the setting (the service fails closed).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from cord_sync.errors import ConfigurationError

USER_ID_SOURCES: Final = ("id", "externalId", "userName")
GROUP_ID_SOURCES: Final = ("id", "externalId", "displayName")
GROUP_MODES: Final = ("all", "matching", "none")
ENV_NAMES: Final = (
    "SCIM_USER_ID_SOURCE",
    "SCIM_GROUP_ID_SOURCE",
    "SCIM_GROUPS",
    "SCIM_GROUP_PATTERN",
    "SCIM_DEFAULT_ORGANIZATION_ID",
    "SCIM_DEFAULT_ORGANIZATION_NAME",
)


@dataclass(frozen=True, slots=True)
class ScimConfig:
    user_id_source: str = "id"
    group_id_source: str = "id"
    groups: str = "all"
    group_pattern: re.Pattern[str] | None = None
    default_organization_id: str | None = None
    default_organization_name: str | None = None

    def group_synced(self, display_name: str) -> bool:
        """Whether a group of this display name becomes a Cord organization."""
        if self.groups == "all":
            return True
        if self.groups == "matching":
            assert self.group_pattern is not None
            return self.group_pattern.fullmatch(display_name) is not None
        return False


def _choice(name: str, raw: str, allowed: tuple[str, ...]) -> str:
    value = raw.strip() or allowed[0]
    for option in allowed:
        if value.lower() == option.lower():
            return option
    raise ConfigurationError(f"{name} must be one of {', '.join(allowed)}")


@lru_cache(maxsize=8)
def _parse(values: tuple[str, ...]) -> ScimConfig:
    user_src, group_src, groups, pattern, org_id, org_name = values
    config = ScimConfig(
        user_id_source=_choice("SCIM_USER_ID_SOURCE", user_src, USER_ID_SOURCES),
        group_id_source=_choice("SCIM_GROUP_ID_SOURCE", group_src, GROUP_ID_SOURCES),
        groups=_choice("SCIM_GROUPS", groups, GROUP_MODES),
    )
    if config.groups == "matching":
        if not pattern.strip():
            raise ConfigurationError("SCIM_GROUP_PATTERN is required when SCIM_GROUPS=matching")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ConfigurationError(f"SCIM_GROUP_PATTERN is not a valid regular expression: {exc}") from None
        return ScimConfig(config.user_id_source, config.group_id_source, "matching", compiled)
    if config.groups == "none":
        missing = [
            n
            for n, v in (("SCIM_DEFAULT_ORGANIZATION_ID", org_id), ("SCIM_DEFAULT_ORGANIZATION_NAME", org_name))
            if not v.strip()
        ]
        if missing:
            raise ConfigurationError(f"{' and '.join(missing)} required when SCIM_GROUPS=none")
        if len(org_id.strip()) > 128:
            raise ConfigurationError("SCIM_DEFAULT_ORGANIZATION_ID must be at most 128 characters")
        return ScimConfig(config.user_id_source, config.group_id_source, "none", None, org_id.strip(), org_name.strip())
    return config


def load_config() -> ScimConfig:
    """The current settings; raises ConfigurationError naming the offending variable."""
    return _parse(tuple(os.environ.get(name, "") for name in ENV_NAMES))
