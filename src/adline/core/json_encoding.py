"""Response bodies as JSON text, byte for byte what Starlette's `JSONResponse` writes
(`json.dumps` with `ensure_ascii=False`, `allow_nan=False`, no spaces), with one addition:
a list in the body may come as an `EncodedList`, which writes its own JSON text.

A large, regular list (a report's 90,000 buckets) is cheaper to write from its columns
with one string template per item than to build as a dict per item and encode: the
`EncodedList` writes the text json.dumps would write for its items, and builds the item
dicts only if someone reads them (a version migration).
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from starlette.responses import JSONResponse

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
# Text of one value, as json.dumps(value, ensure_ascii=False, ...) writes it.
dumps: Callable[[Any], str] = _ENCODER.encode


class EncodedList(Sequence[dict[str, Any]]):
    """A list of JSON objects that writes its own JSON text (`json_text`).

    Subclasses give its length, its items (`build_items`, called at most once: reading an
    item builds them all) and `encode`, the text json.dumps would write for those items. A
    migration may read items and change them in place: once the items are built, the list
    is written from them. It holds no private (`_`) keys (`strip_private` passes it by).
    """

    _items: list[dict[str, Any]] | None = None

    @abstractmethod
    def build_items(self) -> list[dict[str, Any]]: ...

    @abstractmethod
    def encode(self) -> str:
        """`dumps(self.build_items())`, written straight from the list's own data."""

    def as_list(self) -> list[dict[str, Any]]:
        if self._items is None:
            self._items = self.build_items()
        return self._items

    def json_text(self) -> str:
        return self.encode() if self._items is None else dumps(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.as_list()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.as_list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EncodedList):
            return self.as_list() == other.as_list()
        return isinstance(other, list) and self.as_list() == other

    __hash__ = None  # type: ignore[assignment]  # compared by value, like a list


class _HoldsEncodedList(Exception):
    pass


def _refuse(value: Any) -> Any:
    if isinstance(value, EncodedList):
        raise _HoldsEncodedList
    raise TypeError(f"Object of type {value.__class__.__name__} is not JSON serializable")


_FIRST_TRY = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"), default=_refuse
).encode


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return dumps(key)
    # Keys that are not strings as json.dumps writes them (`1`, `true`, `null` as strings).
    return dumps({key: None})[1 : -len(":null}")]


def _write(value: Any, out: Callable[[str], object]) -> None:
    if isinstance(value, EncodedList):
        out(value.json_text())
        return
    try:
        out(_FIRST_TRY(value))
        return
    except _HoldsEncodedList:
        pass
    # A dict or list that holds an EncodedList somewhere: write it part by part.
    if isinstance(value, dict):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            out(f"{',' if index else ''}{_key_text(key)}:")
            _write(item, out)
        out("}")
    else:
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _write(item, out)
        out("]")


def encode_json(content: Any) -> str:
    """The body's JSON text: json.dumps's, with each `EncodedList` written by itself."""
    try:
        return _FIRST_TRY(content)
    except _HoldsEncodedList:
        parts: list[str] = []
        _write(content, parts.append)
        return "".join(parts)


class JsonResponse(JSONResponse):
    """Starlette's JSONResponse (same bytes, same headers) that also writes `EncodedList`s."""

    def render(self, content: Any) -> bytes:
        return encode_json(content).encode("utf-8")
