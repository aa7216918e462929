"""Org files (DESIGN.md §2): YAML describing an org, validated with the line of every error.

A configuration may give its ``secret`` (so scenarios can deliver it) or only ``secret_sha256``
(what an admin can share without sharing the key). Loading returns the org and the secrets that
the file revealed, by configuration name.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simulator.device import Platform
from simulator.errors import SecretPolicyError
from simulator.secret import Secret
from simulator.verifier.configs import MultipleConfigs, check_existing_key
from simulator.verifier.org import Org, Policy
from simulator.yamlfile import YamlDoc, read_yaml_file


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    @model_validator(mode="after")
    def _one_secret(self) -> ConfigSpec:
        if (self.secret is None) == (self.secret_sha256 is None):
            raise ValueError("give exactly one of 'secret' and 'secret_sha256'")
        return self


class PolicySpec(_Strict):
    class DeviceSpec(_Strict):
        registered: bool = True
        managed: bool = True

    device: DeviceSpec = DeviceSpec()


class OrgSpec(_Strict):
    org_url: str = Field(pattern=r"^https://[^\s/]+/?$")
    endpoint_management: list[ConfigSpec] = Field(default_factory=list)
    policy: PolicySpec = PolicySpec()
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


def parse_org_spec(data: Any, doc: YamlDoc, base: tuple[str | int, ...] = ()) -> OrgSpec:
    """Validate org data (a whole file, or a scenario's inline ``org:``) with file:line errors."""
    try:
        return OrgSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        elif first["type"] == "literal_error" or first["type"] == "enum":
            message = f"{message} (got {first.get('input')!r})"
        # Never echo a secret: pydantic's message for 'secret' may quote the input.
        if "secret" in loc and first["type"] not in ("missing", "extra_forbidden", "value_error"):
            message = "invalid secret key (8-256 printable characters, no spaces)"
        raise doc.error(base + loc, message) from None


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
