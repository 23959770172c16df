"""What the service serves, described with scim2-models: User (with the enterprise extension) and Group, the
ServiceProviderConfig, and the discovery documents built from them. Imported once per container (~1 s)."""

from __future__ import annotations

from typing import Annotated, Any, Final

import scim2_models
from pydantic import Field, model_validator
from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    ETag,
    Filter,
    Group,
    ListResponse,
    Meta,
    Patch,
    PatchOp,
    Reference,
    Required,
    ResourceType,
    Schema,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    User,
)

MAX_RESULTS: Final = 1000  # the largest page a list answers (filter.maxResults)
DEFAULT_COUNT: Final = 100  # the page size when the client asks for none


class Manager(scim2_models.Manager):
    """The enterprise manager as Entra sends it: `$ref` optional, and a bare id string taken as its `value`."""

    ref: Annotated[Reference[User] | None, Required.false] = Field(  # type: ignore[type-arg]
        None, serialization_alias="$ref", validation_alias="$ref"
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_id(cls, data: Any) -> Any:
        return {"value": data} if isinstance(data, str) else data


class EnterpriseUser(scim2_models.EnterpriseUser):
    manager: Manager | None = None


UserModel = User[EnterpriseUser]
GroupModel = Group
UserPatch = PatchOp[UserModel]
GroupPatch = PatchOp[GroupModel]
UserSearch = SearchRequest[UserModel]
GroupSearch = SearchRequest[GroupModel]
AnyListResponse = ListResponse[UserModel | GroupModel]

CONFIG: Final = ServiceProviderConfig(
    documentation_uri=None,
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=MAX_RESULTS),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=True),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="OAuth Bearer Token",
            description="A long-lived bearer token in the Authorization header",
            primary=True,
        )
    ],
)

PROVIDER: Final = ScimProvider(
    models=[User, EnterpriseUser, Group],
    resource_types=[ResourceType.from_resource(UserModel), ResourceType.from_resource(GroupModel)],
    config=CONFIG,
)


def _located(resource: Any, location: str) -> dict[str, Any]:
    meta = Meta(resource_type=type(resource).__name__, location=location)
    return resource.model_copy(update={"meta": meta}).model_dump()


def service_provider_config(base_url: str) -> dict[str, Any]:
    return _located(CONFIG, f"{base_url}/ServiceProviderConfig")


def _listing(items: list[dict[str, Any]], model: Any) -> dict[str, Any]:
    response = ListResponse[model](total_results=len(items), items_per_page=len(items), start_index=1, resources=items)
    return response.model_dump()


def resource_types(base_url: str) -> dict[str, Any]:
    items = [_located(r, f"{base_url}/ResourceTypes/{r.id}") for r in PROVIDER.resource_types]
    return _listing(items, ResourceType)


def resource_type(base_url: str, name: str) -> dict[str, Any] | None:
    for r in PROVIDER.resource_types:
        if r.id == name:
            return _located(r, f"{base_url}/ResourceTypes/{r.id}")
    return None


def schemas(base_url: str) -> dict[str, Any]:
    items = [_located(s, f"{base_url}/Schemas/{s.id}") for s in PROVIDER.schemas]
    return _listing(items, Schema)


def schema(base_url: str, urn: str) -> dict[str, Any] | None:
    for s in PROVIDER.schemas:
        if s.id == urn:
            return _located(s, f"{base_url}/Schemas/{s.id}")
    return None
