"""What the seeds print, checked as printed: the key structure of an example, and a type per
field (`string`, `number`, `integer`, an enum, `| null`, arrays, nested objects).

`assert_shape(value, spec)` requires exactly the spec's keys at every level; a `Spec` is a
type below or a dict of them. `assert_same_structure(value, example)` compares the keys of
a response with those of the seed's example JSON, recursively (list items against the
example's first item).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Type:
    name: str

    def check(self, value: Any) -> bool:
        if self.name == "string":
            return isinstance(value, str)
        if self.name == "number":
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.name == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if self.name == "boolean":
            return isinstance(value, bool)
        if self.name == "date-time":
            return isinstance(value, str) and _is_timestamp(value)
        if self.name == "object":
            return isinstance(value, dict)
        raise AssertionError(f"unknown type {self.name}")


def _is_timestamp(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Nullable:
    inner: Spec


@dataclass(frozen=True)
class ArrayOf:
    item: Spec


Spec = Type | Enum | Nullable | ArrayOf | dict[str, "Spec"]

STRING = Type("string")
NUMBER = Type("number")
INTEGER = Type("integer")
BOOLEAN = Type("boolean")
DATE_TIME = Type("date-time")
# Any object: the seed names the field `object` without printing its keys.
OBJECT = Type("object")


def nullable(spec: Spec) -> Nullable:
    return Nullable(spec)


def enum(*values: str) -> Enum:
    return Enum(values)


def assert_shape(value: Any, spec: Spec, path: str = "$") -> None:
    if isinstance(spec, Nullable):
        if value is not None:
            assert_shape(value, spec.inner, path)
        return
    assert value is not None, f"{path}: null, but the seed does not make it nullable"
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{path}: {value!r} is not an object"
        assert set(value) == set(spec), (
            f"{path}: keys differ from the seed's; extra {sorted(set(value) - set(spec))}, "
            f"missing {sorted(set(spec) - set(value))}"
        )
        for key, inner in spec.items():
            assert_shape(value[key], inner, f"{path}.{key}")
    elif isinstance(spec, ArrayOf):
        assert isinstance(value, list), f"{path}: {value!r} is not an array"
        for position, item in enumerate(value):
            assert_shape(item, spec.item, f"{path}[{position}]")
    elif isinstance(spec, Enum):
        assert value in spec.values, f"{path}: {value!r} is not one of {spec.values}"
    else:
        assert spec.check(value), f"{path}: {value!r} is not a {spec.name}"


def structure(value: Any) -> Any:
    """The keys of `value`, recursively: an array of objects is the structure of its first
    item, an array of anything else is just an array."""
    if isinstance(value, dict):
        return {key: structure(item) for key, item in value.items()}
    if isinstance(value, list):
        return [structure(value[0])] if value and isinstance(value[0], dict) else []
    return None


def assert_same_structure(value: Any, example: Any) -> None:
    """The response has exactly the keys of the seed's example at every level (arrays of
    objects compared by their first items, so the response's must not be empty)."""
    assert structure(value) == structure(example)
