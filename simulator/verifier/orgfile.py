"""Org files (DESIGN.md §2): YAML describing an org, validated with the line of every error.

A configuration may give its ``secret`` (so scenarios can deliver it) or only ``secret_sha256``
(what an admin can share without sharing the key). Loading returns the org and the secrets that
the file revealed, by configuration name.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from simulator.device import Platform
from simulator.errors import SecretPolicyError
from simulator.secret import Secret, shown
from simulator.verifier.configs import MultipleConfigs, check_existing_key
from simulator.verifier.org import Org, Policy
from simulator.yamlfile import YamlDoc, read_yaml_file


class _Strict(BaseModel):
    # Validators are built at the first validation (:func:`parse_org_spec`), not at import.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class ConfigSpec(_Strict):
    name: str = Field(min_length=1)
    platform: Platform
    provider: str = Field(min_length=1)
    enrollment_link: str = Field(pattern=r"^https?://\S+$")
    secret: str | None = Field(default=None, repr=False)
    secret_sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    created: datetime | None = None

    @field_validator("secret")
    @classmethod
    def _valid_key(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_existing_key(value)
            except SecretPolicyError as exc:
                raise ValueError(str(exc)) from None  # pydantic adds file:line; no value in it
        return value

    @field_validator("created", mode="before")
    @classmethod
    def _a_time_not_a_number(cls, value: object) -> object:
        # pydantic reads a number as seconds since 1970: in an org file that is a typo.
        if isinstance(value, int | float):
            raise ValueError(_FIELD_RULES["created"])
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> ConfigSpec:
        if (self.secret is None) == (self.secret_sha256 is None):
            raise ValueError("give exactly one of 'secret' and 'secret_sha256'")
        return self


class PolicySpec(_Strict):
    class DeviceSpec(_Strict):
        # Strict: pydantic would take the strings "yes", "off", "1" for booleans.
        registered: StrictBool = True
        managed: StrictBool = True

    device: DeviceSpec = Field(default_factory=DeviceSpec)


class OrgSpec(_Strict):
    org_url: str = Field(pattern=r"^https://[^\s/]+/?$")
    endpoint_management: list[ConfigSpec] = Field(default_factory=list)
    policy: PolicySpec = Field(default_factory=PolicySpec)
    multiple_configs: Literal["any-match", "earliest-only"] = "any-match"

    @field_validator("endpoint_management")
    @classmethod
    def _unique_names(cls, configs: list[ConfigSpec]) -> list[ConfigSpec]:
        # A field validator, so that the error points at the list (file:line), not the file's top.
        names = [c.name for c in configs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate configuration name(s): {', '.join(dupes)}")
        return configs


#: Field-specific wording for a value of the wrong shape, by field name.
_FIELD_RULES = {
    "org_url": "must be an https:// URL like https://example.okta.com",
    "enrollment_link": "must be an http:// or https:// URL like https://portal.manage.microsoft.com/",
    "secret_sha256": "must be the SHA-256 of the key: 64 hexadecimal characters",
    "created": "must be a date and time like 2026-01-05T10:00:00Z",
}
#: Wording by pydantic error type, for the other fields.
_TYPE_RULES = {
    "missing": "missing (required)",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
}
_SECRET_RULE = "invalid secret key (8-256 printable characters, no spaces)"


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """The fields allowed in the mapping at ``loc`` (for an unknown-field message)."""
    model: type[BaseModel] = OrgSpec
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[str(part)].annotation if str(part) in model.model_fields else None
        args = get_args(annotation)
        inner = args[0] if args else annotation
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return []
        model = inner
    return sorted(model.model_fields)


def _plain(error: Any) -> tuple[tuple[str | int, ...], str, tuple[str | int, ...] | None]:
    """(path to name, message in plain words, longer path for the line) for one pydantic error."""
    loc = tuple(error["loc"])
    kind = error["type"]
    field = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        allowed = ", ".join(_fields_at(loc[:-1]))
        return loc[:-1], f"unknown field {shown(loc[-1])} (allowed: {allowed})", loc
    if kind == "value_error":  # our validators: their message holds no value
        return loc, str(error.get("ctx", {}).get("error", error["msg"])), None
    if kind == "missing":
        return loc, _TYPE_RULES[kind], None
    if "secret" in loc:
        return loc, _SECRET_RULE, None  # never echo a secret: pydantic's message may quote it
    if field in _FIELD_RULES and loc[-1] == field:
        return loc, _FIELD_RULES[field], None
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        choices = expected.replace("'", "").replace(" or ", ", ")
        return loc, f"{shown(error.get('input'))} is not one of: {choices}", None
    return loc, _TYPE_RULES.get(kind, str(error["msg"])), None


_NO_PLUGINS = "PYDANTIC_DISABLE_PLUGINS"
_BUILDING = threading.Lock()


@contextlib.contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """Build the org models' validators without looking for pydantic plugins.

    Pydantic looks for plugins (observability hooks such as logfire's) when it builds a
    validator, by reading the entry points of every installed distribution: ~12 ms of CPU with
    this project's extras installed. An org file is attestlab's own input, not an application
    model worth tracing, so its models are built with plugins off (``PYDANTIC_DISABLE_PLUGINS``,
    pydantic's switch), as typer builds its parameter validators. Once built, nothing is looked
    up again. One build at a time (a user's threads may load org files through the pytest
    plugin): two overlapping would each restore what the other had set."""
    if OrgSpec.__pydantic_complete__:
        yield
        return
    with _BUILDING:
        before = os.environ.get(_NO_PLUGINS)
        os.environ[_NO_PLUGINS] = "1"
        try:
            yield
        finally:
            if before is None:
                del os.environ[_NO_PLUGINS]
            else:
                os.environ[_NO_PLUGINS] = before


def parse_org_spec(data: Any, doc: YamlDoc, base: tuple[str | int, ...] = ()) -> OrgSpec:
    """Validate org data (a whole file, or a scenario's inline ``org:``) with file:line errors,
    in plain words rather than pydantic's (``org_url: must be an https:// URL like ...``)."""
    try:
        with _without_pydantic_plugins():
            return OrgSpec.model_validate(data)
    except ValidationError as exc:
        loc, message, line_of = _plain(exc.errors()[0])
        raise doc.error(base + loc, message, line_of=base + line_of if line_of else None) from None


def build_org(spec: OrgSpec, *, rng: random.Random | None = None, clock: Any = None) -> tuple[Org, dict[str, Secret]]:
    """An :class:`Org` for the spec, and the secrets the spec revealed by configuration name."""
    kwargs: dict[str, Any] = {"clock": clock} if clock is not None else {}
    org = Org(
        spec.org_url,
        policy=Policy(spec.policy.device.registered, spec.policy.device.managed),
        multiple_configs=MultipleConfigs(spec.multiple_configs),
        rng=rng,
        **kwargs,
    )
    secrets: dict[str, Secret] = {}
    for c in spec.endpoint_management:
        if c.secret is not None:
            _, secrets[c.name] = org.add_platform(
                c.platform, c.provider, c.enrollment_link, name=c.name, existing_key=c.secret, created=c.created
            )
        else:
            assert c.secret_sha256 is not None
            org.add_hashed_platform(
                c.platform,
                c.provider,
                c.enrollment_link,
                secret_sha256=c.secret_sha256,
                name=c.name,
                created=c.created,
            )
    return org, secrets


def read_org_file(path: str | Path) -> tuple[OrgSpec, YamlDoc]:
    doc = read_yaml_file(path, what="org file")
    if not isinstance(doc.data, dict):
        raise doc.error((), "an org file is a mapping with 'org_url' and 'endpoint_management'")
    return parse_org_spec(doc.data, doc), doc


def load_org(path: str | Path, *, rng: random.Random | None = None) -> tuple[Org, dict[str, Secret]]:
    """Read, validate and build an org file."""
    spec, _ = read_org_file(path)
    return build_org(spec, rng=rng)
