"""Response shapes read from the official clients' releases (`releases/whop-sdk-*.json`,
written by tools/client_shapes.py from each release's wheel).

A release's default `Api-Version-Date` answers in exactly that release's objects: every
field it declares is present (an optional one may be null), with the release's type and
enum values, and nothing else but Adline's own extensions (`EXTENSIONS`). The models built
here describe those versions in their OpenAPI documents, and the tests validate every
response of those versions against them.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, create_model

from adline.campaigns.schemas import Platform

# (release, its default version), oldest first: the versions whose shapes are exact.
RELEASES = (
    ("0.0.41", "2026-07-08-1"),
    ("1.0.14", "2026-08-21-1"),
    ("1.1.5", "2026-09-15"),
    ("2.0.0", "2026-09-23"),
    ("2.2.0", "2026-09-29"),
    ("2.3.0", "2026-10-08"),
    ("2.4.0", "2026-10-09-2"),
    ("2.5.0", "2026-10-13-1"),
    ("2.6.0", "2026-10-15-1"),
)
RELEASE_OF_VERSION = {version: release for release, version in RELEASES}

# Fields Adline adds to every version that shows them (seed 004 links campaigns to caps).
EXTENSIONS: dict[str, dict[str, Any]] = {"ad_campaign": {"spend_cap_id": (str | None, ...)}}

# Values Adline answers beyond a release's enum, `{kind: {field: values}}`. A platform is
# never rewritten (docs/versions.md, "Where an older shape has no counterpart"), so a TikTok
# campaign reads `tiktok` even in 0.0.41's version, whose campaign platform is `meta` only.
ENUM_EXTENSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "ad_campaign": {"platform": get_args(Platform)}
}

KINDS = ("ad_campaign", "ad_group", "ad")


class ReleaseShape(BaseModel):
    """Exactly the release's keys, each present, with the release's types."""

    model_config = ConfigDict(extra="forbid", strict=True)


class NestedShape(BaseModel):
    """A nested object: the release's required keys present, optional ones may be absent,
    nothing the release does not know."""

    model_config = ConfigDict(extra="forbid", strict=True)


@cache
def release_table(release: str) -> dict[str, Any]:
    """The committed field table of one release."""
    text = resources.files("adline.versions").joinpath(f"releases/whop-sdk-{release}.json")
    table: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return table


@cache
def release_shapes(release: str) -> dict[str, type[BaseModel]]:
    """`{kind: model}` for campaign, ad group and ad as `release` declares them."""
    table = release_table(release)
    builder = _Builder(table["nested_objects"], suffix=release.replace(".", "_"))
    shapes: dict[str, type[BaseModel]] = {}
    for kind in KINDS:
        name = table["object_classes"][kind]["class"]
        fields = {
            field: _with_values(spec, ENUM_EXTENSIONS.get(kind, {}).get(field, ()))
            for field, spec in table["objects"][kind].items()
        }
        shapes[kind] = builder.model(
            name, fields, top_level=True, extensions=EXTENSIONS.get(kind, {})
        )
    return shapes


@cache
def release_object(release: str, role: str) -> type[BaseModel] | None:
    """Another object of `release` (`ad_report`, `time_series`), or None when the release
    has none: its required keys present, optional ones may be absent, nothing else."""
    table = release_table(release)
    if role not in table["objects"]:
        return None
    builder = _Builder(table["nested_objects"], suffix=release.replace(".", "_"))
    name = table["object_classes"][role]["class"]
    return builder.model(name, table["objects"][role], top_level=False)


def _with_values(spec: dict[str, Any], values: tuple[str, ...]) -> dict[str, Any]:
    """A field's spec whose enum also admits `values` (after the release's own)."""
    if not values or not spec.get("enum"):
        return spec
    return {**spec, "enum": [*spec["enum"], *(v for v in values if v not in spec["enum"])]}


def release_enum(release: str, kind: str, field: str) -> list[str]:
    """The values `release` knows for an enum field of `kind`."""
    values: list[str] = release_table(release)["objects"][kind][field]["enum"]
    return values


class _Builder:
    def __init__(self, nested: dict[str, Any], suffix: str) -> None:
        self.nested = nested
        self.suffix = suffix
        self.built: dict[str, type[BaseModel]] = {}

    def model(
        self,
        name: str,
        fields: dict[str, Any],
        *,
        top_level: bool,
        extensions: dict[str, Any] | None = None,
    ) -> type[BaseModel]:
        key = f"{name}{'' if top_level else '.nested'}"
        if key in self.built:
            return self.built[key]
        definitions: dict[str, Any] = {}
        for field, spec in sorted(fields.items()):
            annotation = self.annotation(spec)
            if spec["nullable"] or not spec["required"]:
                annotation = annotation | None
            # Top-level keys are always sent; nested optional ones may be left out.
            required = top_level or spec["required"]
            definitions[field] = (annotation, ... if required else None)
        definitions.update(extensions or {})
        model_name = f"{name.replace('.', '')}_{self.suffix}"
        base = ReleaseShape if top_level else NestedShape
        model: type[BaseModel] = create_model(model_name, __base__=base, **definitions)
        self.built[key] = model
        return model

    def annotation(self, spec: dict[str, Any]) -> Any:
        kind: str = spec["type"]
        if kind.startswith("array<") and kind.endswith(">"):
            return list[self.annotation({**spec, "type": kind[6:-1]})]  # type: ignore[misc]
        if kind.startswith("union<"):
            return Any
        if kind == "object" and spec.get("ref") and spec["ref"] in self.nested:
            return self.model(spec["ref"], self.nested[spec["ref"]], top_level=False)
        if spec.get("enum"):
            return Literal[tuple(spec["enum"])]
        scalar: dict[str, Any] = {
            "string": str,
            "number": float,
            "integer": int,
            "boolean": bool,
            "map": dict[str, Any],
            "object": dict[str, Any],
            "any": Any,
        }
        return scalar[kind]
