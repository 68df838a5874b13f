"""Languages on Meta: Adline's ISO 639-1 codes as Meta's numeric locale keys.

Meta targets languages with `targeting.locales`, a list of its own locale keys (integers),
which its targeting search answers (`GET /search?type=adlocale&q=<name>`: `{"key", "name"}`
rows such as `English (US)`, `English (UK)`, `English (All)`). No table of the keys is
published with the Marketing API reference, so the keys are not kept here: each language
is searched by its English name once per adapter and the answer chosen by
`locale_keys` (docs/networks-meta.md#languages). A language Meta answers nothing for is
refused, naming it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adline.delivery.iso_names import LANGUAGE_NAMES
from adline.networks.meta.client import MetaGraphClient

# Where Debian's ISO 639 name is not the name Meta's locales go by. [verify]
META_LANGUAGE_NAMES: dict[str, str] = {
    "el": "Greek",
    "nb": "Norwegian (bokmal)",
    "nn": "Norwegian (nynorsk)",
    "ky": "Kyrgyz",
    "ps": "Pashto",
    "si": "Sinhala",
    "pa": "Punjabi",
}


def language_name(code: str) -> str | None:
    return META_LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(code)


def locale_keys(name: str, rows: Iterable[Mapping[str, Any]]) -> tuple[int, ...]:
    """The keys that stand for the language `name` among search rows: its `<name> (All)`
    locale when Meta has one (every variant at once); else the locale named `<name>`
    itself; else every `<name> (<variant>)`. Rows of other languages the search also
    answered (`Spanish` for a query `Span`, `Englisch`) are never taken."""
    named: dict[str, int] = {}
    for row in rows:
        key, label = row.get("key"), row.get("name")
        if isinstance(label, str) and isinstance(key, int | str) and str(key).isdigit():
            named[label.strip()] = int(key)
    if f"{name} (All)" in named:
        return (named[f"{name} (All)"],)
    if name in named:
        return (named[name],)
    return tuple(sorted(key for label, key in named.items() if label.startswith(f"{name} (")))


class MetaLocales:
    """The locale keys of each language, searched once per adapter (keys do not change)."""

    def __init__(self, client: MetaGraphClient) -> None:
        self.client = client
        self._keys: dict[str, tuple[int, ...]] = {}

    async def keys(self, languages: Iterable[str]) -> dict[str, tuple[int, ...]]:
        """Each language's keys; a language Meta has no locale for answers `()` (the
        mapping refuses it, naming it)."""
        found: dict[str, tuple[int, ...]] = {}
        for code in dict.fromkeys(languages):
            if code not in self._keys:
                name = language_name(code)
                if name is None:
                    found[code] = ()
                    continue
                body = await self.client.get("search", {"type": "adlocale", "q": name})
                self._keys[code] = locale_keys(name, body.get("data") or ())
            found[code] = self._keys[code]
        return found
