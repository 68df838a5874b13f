"""Dated API versions (`Api-Version-Date`), Stripe/Cadwyn style.

Handlers and services know only the newest shapes. Each older version is the newest
minus a list of named `VersionChange`s; a change migrates request bodies *up* (from its
version to the next newer one) and response bodies *down* (from the next newer one to its
version), per resource kind. Adding a version is adding a module of changes and one
`Version(...)` line to the bundle in `adline.versions`.

Resource kinds are strings such as `"ad_campaign"` (one object), `"ad_campaign.list"`
(the list envelope, after every item was migrated as `"ad_campaign"`),
`"ad_campaign.deleted"` and request kinds such as `"ad_campaign.create"`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fastapi import Request

from adline.core.errors import AdlineError, InvalidRequest

VERSION_HEADER = "Api-Version-Date"

Body = dict[str, Any]
# A migration takes and returns a body; a response migration may return another JSON value
# (an old endpoint answered a bare `true`).
Migration = Callable[[Body], Any]


def request_migration(*kinds: str) -> Callable[[Migration], Migration]:
    """Mark a VersionChange method as migrating request bodies of `kinds` up one version."""

    def mark(function: Migration) -> Migration:
        function._adline_request_kinds = kinds  # type: ignore[attr-defined]
        return function

    return mark


def response_migration(*kinds: str) -> Callable[[Migration], Migration]:
    """Mark a VersionChange method as migrating response bodies of `kinds` down one version."""

    def mark(function: Migration) -> Migration:
        function._adline_response_kinds = kinds  # type: ignore[attr-defined]
        return function

    return mark


def _refuse_unknown(body: Body, names: Iterable[str]) -> None:
    for name in names:
        if name in body:
            raise InvalidRequest(
                f"Unknown parameter: {name}. It exists in newer API versions only.", param=name
            )


class VersionChange:
    """One named difference between a version and the next newer one.

    Subclasses say what changed and why in their docstring (it becomes the changelog). They
    declare the simple differences per object kind (`"ad_campaign"`, `"ad_group"`, `"ad"`):

    - `added_fields`: fields the newer version added; removed from this version's responses
      and refused in its requests (`<kind>.create`, `<kind>.update`);
    - `added_response_fields`: removed from responses only (this version may still write them);
    - `renamed_fields`: `{older name: newer name}`, renamed both ways;
    - `added_request_fields`: per request kind (`ad_campaign.update`), parameters the newer
      version added to that request only; refused in this version's bodies;
    - `request_param_names`: `{newer param: older param}` for parameters a request
      migration moves (`starts_at` was `config.start_time`), so an error about a newer
      parameter names the one the caller sent (renamed fields are included by themselves);

    and carry `@request_migration` / `@response_migration` static methods for the rest.
    Requests run the declared part first, then the methods; responses the other way round,
    so the methods see the newer shape whole.
    """

    # Private facts (`_name` keys) this change's migrations read; presenters add them only
    # for versions that need them, so newer versions do not pay for older shapes.
    needs_facts: ClassVar[frozenset[str]] = frozenset()
    added_fields: ClassVar[Mapping[str, Sequence[str]]] = {}
    added_response_fields: ClassVar[Mapping[str, Sequence[str]]] = {}
    renamed_fields: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    added_request_fields: ClassVar[Mapping[str, Sequence[str]]] = {}
    request_param_names: ClassVar[Mapping[str, Mapping[str, str]]] = {}
    request_migrations: ClassVar[dict[str, list[Migration]]]
    response_migrations: ClassVar[dict[str, list[Migration]]]

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if not (cls.__doc__ or "").strip():
            raise TypeError(f"{cls.__name__} must say in its docstring what changed and why")
        cls.request_migrations = {}
        cls.response_migrations = {}
        kinds = {*cls.added_fields, *cls.added_response_fields, *cls.renamed_fields}
        for kind in sorted(kinds):
            for request_kind in (f"{kind}.create", f"{kind}.update"):
                cls.request_migrations.setdefault(request_kind, []).append(
                    cls._declared_request_migration(kind)
                )
        for value in vars(cls).values():
            # Markers may sit on a staticmethod or on the plain function inside it.
            function = value.__func__ if isinstance(value, staticmethod) else value
            for marked in {id(value): value, id(function): function}.values():
                for kind in getattr(marked, "_adline_request_kinds", ()):
                    cls.request_migrations.setdefault(kind, []).append(function)
                for kind in getattr(marked, "_adline_response_kinds", ()):
                    cls.response_migrations.setdefault(kind, []).append(function)
        for kind in sorted(kinds):
            cls.response_migrations.setdefault(kind, []).append(
                cls._declared_response_migration(kind)
            )

    @classmethod
    def _declared_request_migration(cls, kind: str) -> Migration:
        renamed = dict(cls.renamed_fields.get(kind, {}))

        def migrate(body: Body) -> Body:
            for older, newer in renamed.items():
                if older in body:
                    body[newer] = body.pop(older)
            return body

        return migrate

    @classmethod
    def unknown_in_requests(cls, request_kind: str) -> tuple[str, ...]:
        """Fields a client of the older version cannot have sent in `<kind>.create|update`."""
        kind, _, action = request_kind.partition(".")
        if action not in ("create", "update"):
            return ()
        return (
            *cls.added_fields.get(kind, ()),
            *cls.renamed_fields.get(kind, {}).values(),
            *cls.added_request_fields.get(request_kind, ()),
        )

    @classmethod
    def older_param_names(cls, kind: str) -> dict[str, str]:
        """`{newer param: this version's name}` for the object kind's requests."""
        names = {newer: older for older, newer in cls.renamed_fields.get(kind, {}).items()}
        names.update(cls.request_param_names.get(kind, {}))
        return names

    @classmethod
    def _declared_response_migration(cls, kind: str) -> Migration:
        hidden = (*cls.added_fields.get(kind, ()), *cls.added_response_fields.get(kind, ()))
        renamed = dict(cls.renamed_fields.get(kind, {}))

        def migrate(body: Body) -> Body:
            for name in hidden:
                body.pop(name, None)
            for older, newer in renamed.items():
                if newer in body:
                    body[older] = body.pop(newer)
            return body

        return migrate


@dataclass(frozen=True)
class Version:
    value: str
    changes: Sequence[type[VersionChange]] = ()


def token_order(token: str) -> tuple[str, int]:
    """Sort key of a version token: its date, then its same-day suffix (`2026-07-08-1`
    comes after `2026-07-08` and before `2026-07-09`)."""
    day, _, suffix = token[:10], token[10:11], token[11:]
    return day, int(suffix) if suffix.isdigit() else 0


@dataclass
class VersionBundle:
    """All supported versions, newest first; `default` applies when nothing pins one.

    `versions` are the versions whose shapes are known (reconstructed); `tokens` every
    value a client may send (or pin on a key). A token answers in the shape of the nearest
    version at or before it. Without `tokens`, exactly the versions are accepted.
    """

    versions: Sequence[Version]
    default: str
    tokens: Sequence[str] = ()
    docs_url: str = "/api/v1/docs"
    _index: dict[str, int] = field(init=False, repr=False)
    _shape_of: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._index = {version.value: position for position, version in enumerate(self.versions)}
        if len(self._index) != len(self.versions):
            raise ValueError("duplicate API version")
        if self.versions[0].changes:
            raise ValueError("the newest version is the internal model: it has no changes")
        ordered = [version.value for version in self.versions]
        if ordered != sorted(ordered, key=token_order, reverse=True):
            raise ValueError("versions must be listed newest first")
        tokens = list(self.tokens) or ordered
        missing = set(ordered) - set(tokens)
        if missing:
            raise ValueError(f"versions missing from the tokens: {sorted(missing)}")
        self._shape_of = {}
        for token in tokens:
            at_or_before = [v for v in ordered if token_order(v) <= token_order(token)]
            if not at_or_before:
                raise ValueError(f"token {token} is older than the oldest version")
            self._shape_of[token] = at_or_before[0]
        self.tokens = sorted(tokens, key=token_order, reverse=True)
        if self.default not in self._shape_of:
            raise ValueError(f"default version {self.default} is not in the bundle")

    @property
    def newest(self) -> str:
        return self.versions[0].value

    @property
    def values(self) -> list[str]:
        """The versions whose shapes are known, newest first."""
        return [version.value for version in self.versions]

    def is_supported(self, value: str) -> bool:
        return value in self._shape_of

    def shape_of(self, token: str) -> str:
        """The known version whose shapes `token` answers in (itself, when it is one)."""
        return self._shape_of[token]

    def is_exact(self, token: str) -> bool:
        """Whether `token`'s shapes were read from a source, not inferred from an older one."""
        return token in self._index

    def unsupported(self, value: str, param: str = VERSION_HEADER) -> InvalidRequest:
        """The 400 for a version nobody has: it names the newest and where all are listed."""
        return InvalidRequest(
            f"Unsupported {param} {value!r}. The newest version is {self.newest}; "
            f"{self.docs_url} lists all {len(self.tokens)} supported versions.",
            param=param,
        )

    def _changes_between_newest_and(self, value: str) -> list[type[VersionChange]]:
        """Changes from the newest version down to `value`'s shape, newest first."""
        changes: list[type[VersionChange]] = []
        for version in self.versions[1 : self._index[self.shape_of(value)] + 1]:
            changes.extend(version.changes)
        return changes

    def migrate_request(self, value: str, kind: str, body: Body) -> Body:
        """Bring a request body written for version `value` up to the newest shape.

        Fields that version never had are refused first, on what the client sent; the
        migrations may then write newer fields freely.
        """
        changes = self._changes_between_newest_and(value)
        for change in changes:
            _refuse_unknown(body, change.unknown_in_requests(kind))
        for change in reversed(changes):
            for migration in change.request_migrations.get(kind, ()):
                body = migration(body)
        return body

    def migrate_response(self, value: str, kind: str, body: Body) -> Any:
        """Bring a newest-shape response body down to version `value`."""
        for change in self._changes_between_newest_and(value):
            for migration in change.response_migrations.get(kind, ()):
                body = migration(body)
        return body

    def error_in_caller_terms(self, value: str, kind: str, error: AdlineError) -> None:
        """Rename the newest parameter an error names (in `param` and its message) to what
        version `value` calls it, for requests of `kind` (`ad_campaign.create`)."""
        names: dict[str, str] = {}
        object_kind = kind.partition(".")[0]
        for change in self._changes_between_newest_and(value):
            older = change.older_param_names(object_kind)
            # Compose down the chain: a name already renamed keeps being renamed, and a
            # name that only exists in between is no newest parameter.
            in_between = set(names.values())
            names = {newest: older.get(name, name) for newest, name in names.items()}
            for newer, old in older.items():
                if newer not in names and newer not in in_between:
                    names[newer] = old
        if not names:
            return
        if error.param is not None:
            head, rest = _param_head(error.param)
            if head in names:
                error.param = names[head] + rest
        pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, names)) + r")(?![\w])")
        error.message = pattern.sub(lambda match: names[match.group(1)], error.message)

    def facts_needed(self, value: str) -> frozenset[str]:
        """The private facts the migrations down to version `value` read."""
        needed: frozenset[str] = frozenset()
        for change in self._changes_between_newest_and(value):
            needed |= change.needs_facts
        return needed

    def resolve(self, header_value: str | None, pinned: str | None) -> str:
        """Header, else the API key's pinned version, else the default."""
        if header_value is not None:
            value = header_value.strip()
            if not self.is_supported(value):
                raise self.unsupported(header_value)
            return value
        if pinned is not None and self.is_supported(pinned):
            return pinned
        return self.default

    def changelog(self) -> list[tuple[str, list[type[VersionChange]]]]:
        return [(version.value, list(version.changes)) for version in self.versions]


def _param_head(param: str) -> tuple[str, str]:
    """`regions.include[0]` -> (`regions`, `.include[0]`)."""
    match = re.match(r"[^.\[]+", param)
    if match is None:
        return param, ""
    return match.group(0), param[match.end() :]


def request_version(request: Request) -> str:
    """The version this request was resolved to (set by the auth dependency)."""
    version: str = request.state.api_version
    return version
