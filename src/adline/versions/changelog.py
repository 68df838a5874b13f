"""docs/versions.md, rendered from the version bundle, its change modules and the mappings.

`.venv/bin/adline versions changelog > docs/versions.md` regenerates the file; a test fails
while it differs from `render_changelog()`. The sections:

- how a version is chosen, and which exist (from the bundle);
- the value mappings: every table of `adline.versions.mappings` (a module-level dict), with
  the comment above it, both ways;
- the choices made where an older shape has no counterpart (written here, by hand);
- the changes, newest version first: each older version's `VersionChange`s, their
  docstrings and what they declare.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from adline.core.versioning import VERSION_HEADER, VersionBundle, VersionChange
from adline.versions import SOURCES, VERSION_BUNDLE, mappings

COMMAND = ".venv/bin/adline versions changelog > docs/versions.md"


def render_changelog(bundle: VersionBundle = VERSION_BUNDLE) -> str:
    sections = [
        _header(bundle),
        _choosing(bundle),
        _tokens(bundle),
        _mappings_section(),
        NO_COUNTERPART,
        _changes_section(bundle),
    ]
    return "\n\n".join(section.strip() for section in sections) + "\n"


# ---------------------------------------------------------------------------- preamble


def _header(bundle: VersionBundle) -> str:
    rows = []
    for position, (value, changes) in enumerate(bundle.changelog()):
        notes = []
        if value == bundle.newest:
            notes.append("newest: the shapes the code knows")
        if position == len(bundle.versions) - 1:
            notes.append("oldest")
        if value == bundle.default:
            notes.append("**default**")
        if changes:
            notes.append(
                f"{len(changes)} change{'s' if len(changes) > 1 else ''} down from "
                f"`{bundle.values[position - 1]}`"
            )
        rows.append((f"`{value}`", "; ".join(notes)))
    return "\n".join(
        [
            "# API versions",
            "",
            "<!-- Generated from src/adline/versions/ by src/adline/versions/changelog.py; do",
            f"not edit by hand. Regenerate: {COMMAND} -->",
            "",
            "Adline serves every version below at once. The code knows only the newest",
            "shapes; each older version is the next newer one minus a list of named changes",
            "(`src/adline/versions/v*.py`): request bodies are migrated up from the caller's",
            "version before validation, responses are built in the newest shape and migrated",
            "down. How to add a version: [CONTRIBUTING.md](../CONTRIBUTING.md).",
            "",
            _table(("version", ""), rows),
        ]
    )


def _choosing(bundle: VersionBundle) -> str:
    return f"""
## Choosing a version

1. The `{VERSION_HEADER}` request header, when sent: any of the {len(bundle.tokens)} tokens
   below. Any other value answers 400 `parameter_invalid` with
   `param: "{VERSION_HEADER}"`, naming the newest version and `{bundle.docs_url}`, which
   lists them all.
2. Else the version pinned on the API key (`adline keys create --api-version V`, or
   `api_version_date` in `POST /api_keys`; see [api-keys.md](api-keys.md)).
3. Else the default, `{bundle.default}`: a caller that never heard of versions keeps the
   shapes it was written for.

Every response names the version it was rendered in, in its own `{VERSION_HEADER}` header;
errors have the same envelope in every version, and an error about a request parameter
names it as the caller's version does (`config.start_time` in 2025-01-01, not
`starts_at`; `budget` in 2026-06-09, not `budget_amount`). Each version has its OpenAPI document,
`GET /api/v1/openapi.json?version=V` (no key needed; default: `{bundle.default}`), and a
Swagger UI page, `GET /api/v1/docs?version=V`; `GET /api/v1/docs` lists them.
"""


def _tokens(bundle: VersionBundle) -> str:
    rows = []
    for token in bundle.tokens:
        shape = bundle.shape_of(token)
        if bundle.is_exact(token):
            how = f"exact: read from {SOURCES[token]}"
        else:
            how = f"inferred: the shapes of `{shape}`, the nearest known version before it"
        rows.append((f"`{token}`", how))
    return "\n".join(
        [
            "## Every version token",
            "",
            f"Adline accepts every token of the newest official client's version list "
            f"({len(bundle.tokens)}), as the header or as a key's pin. A token whose shapes "
            "were read from a source (a seed, or the types of an official client release "
            "that sends it by default) is **exact**; any other answers in the shapes of the "
            "nearest exact version at or before it (**inferred**), and names itself in the "
            f"response's `{VERSION_HEADER}` header.",
            "",
            _table(("token", "shapes"), rows),
        ]
    )


NO_COUNTERPART = """
## Where an older shape has no counterpart

The tables above map what has a counterpart. Where nothing does, these are the choices:

- **Statuses nobody had yet.** An older version shows a newer status as the closest one it
  knows (tables above): a campaign being duplicated (or imported) reads `draft`, an ad
  group or ad being duplicated reads `inactive`. In 2025-01-01 an active campaign whose
  delivery is in appeal reads `in_review`, one whose ads are all rejected `flagged`, and a
  draft asked to run (`config.status: active` on create) `inactive`.
- **Platform.** It is never rewritten: a TikTok campaign reads `platform: tiktok` in every
  version, including 2025-01-01 and 2026-07-08-1 (whose client release, 0.0.41, declares
  a campaign's platform as `meta` only; that version's shape admits `tiktok` too).
- **`config` (2025-01-01)** describes a Meta campaign's settings and is `null` for every
  other platform; its keys are seed 002's. `conversion_goal` is the goal sent on create,
  else the objective's (table above). `bid_strategy` is the one sent (`lowest_cost` with
  a `bid_amount` is lowest cost capped at that bid: bid type `maximum_target`), else the
  bid type's, `lowest_cost` when none is set (ad-group budgets); `bid_amount` is the
  desired cost per result in whole cents (rounded half-even). `special_categories` are
  the strings sent (any strings: those naming a category Adline knows, in any case, also
  set `special_ad_categories`; the others have no newer counterpart), less those whose
  category a newer version removed, then the newer categories no string names. `status`
  reads `active` for an active campaign or a draft asked to run, else `paused`.
- **Money in 2025-01-01.** `return_on_ad_spend` is a percentage (ROAS times 100: 2.5x reads
  `250`); `revenue` is the purchase value, `total_spend` the spend, the `*_count` fields
  whole numbers. `daily_budget` is the sum of the ad groups' daily budgets when they have
  them, else the campaign's own daily budget, else the `daily_budget` the client sent
  (kept for campaigns with ad-group budgets), else `null`. `todays_spend` is 0 until
  delivery exists, and `available_budget` is `daily_budget` minus today's spend (never
  below 0; 0 without a daily budget).
- **Products and billing.** `product` is the product the campaign promotes
  (`{id, title, route}`, see [products.md](products.md)), `null` when none; newer versions
  have no counterpart and do not show it. `total_credits`, `remaining_balance`,
  `billing_ledger_account` and `payment_method` come from the funding ledger, and
  `available_budget` never exceeds the funds left (see [funding.md](funding.md)).
  `paused_until` is `null` (a pause in Adline has no end).
- **Targeting in 2025-01-01.** `target_country_codes` lists the codes the client sent plus
  every country the campaign's ad groups include.
- **Requests in 2025-01-01 that have no newer meaning.** On create, `config.status:
  active` asks for the campaign to run, which a new campaign cannot (it has no ad groups
  or ads; seed 002: it "starts inactive until funded via checkout"): it is created as a
  draft that reads `inactive` until it is launched, with `config.status: active` on
  update once it has ad groups and ads and funds (docs/funding.md); `paused`, or no
  status, makes a plain draft. `ad_creative_set_ids` must be empty or `null` (Adline has
  no creative sets: any id is a 400) and `config.lifetime_budget` is refused (a
  2025-01-01 campaign has a daily budget). A campaign with ad-group budgets
  (`budget_optimization: false`) takes no `bid_amount`, `start_time`, `end_time` or
  strategy other than `lowest_cost`: they belong to its ad groups (400). On update,
  `config.status: active` launches a draft (pausing goes through
  `POST /ad_campaigns/{id}/pause`, as in every version) and the objective, conversion
  goal, budget optimization and bid settings are fixed.
- **Deleting an ad group in 2025-01-01** answers a bare `true`.
- **2026-06-09** hides the campaign's objective but still requires it on create; a
  campaign created there with a `budget` owns it (`budget_optimization: ad_campaign`).
- **Issues.** 2026-06-20 shows the policy category (`null` until the network classified
  the issue) instead of severity, title and message; 2026-06-09 shows issues without ids;
  2025-01-01's ad groups and ads show none (nor metrics).
"""


# ---------------------------------------------------------------------------- mappings


def _mappings_section() -> str:
    parts = [
        "## Value mappings",
        "",
        "Every table of `src/adline/versions/mappings.py`, both ways. Requests use the",
        "tables from an older value to the newest one, responses the tables back.",
    ]
    tables = _mapping_tables()
    done: set[str] = set()
    for name, comment in tables.items():
        if name in done:
            continue
        done.add(name)
        table = getattr(mappings, name)
        parts += ["", f"### `{name}`", ""]
        if comment:
            parts += [comment, ""]
        if _is_nested(table):
            for key, inner in table.items():
                parts += [f"`{key}`:", "", _flat_table(name, inner), ""]
            continue
        reverse = _reverse_name(name)
        parts.append(_flat_table(name, table))
        if reverse in tables:
            done.add(reverse)
            parts += [
                "",
                f"and back, `{reverse}`:",
                "",
                _flat_table(reverse, getattr(mappings, reverse)),
            ]
        else:
            parts += [
                "",
                "and back (each value, from the values that map to it):",
                "",
                _grouped(name, table),
            ]
    return "\n".join(parts)


def _mapping_tables() -> dict[str, str]:
    """Module-level dict constants of `mappings`, in source order, with their comments."""
    source = inspect.getsource(mappings)
    lines = source.splitlines()
    tables: dict[str, str] = {}
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if not isinstance(target, ast.Name) or not target.id.isupper():
            continue
        if not isinstance(getattr(mappings, target.id, None), dict):
            continue
        comment: list[str] = []
        line = node.lineno - 2
        while line >= 0 and lines[line].startswith("#"):
            comment.insert(0, lines[line].lstrip("#").strip())
            line -= 1
        tables[target.id] = " ".join(comment)
    return tables


def _is_nested(table: Mapping[Any, Any]) -> bool:
    return any(isinstance(value, dict) for value in table.values())


def _reverse_name(name: str) -> str:
    value, sep, key = name.partition("_OF_")
    return f"{key}_OF_{value}" if sep else ""


def _columns(name: str) -> tuple[str, str]:
    """`BID_TYPE_OF_BID_STRATEGY` -> (bid strategy, bid type); `X_2026_06_20` -> (newest
    `x`, `x` in 2026-06-20)."""
    value, sep, key = name.partition("_OF_")
    if sep:
        return _words(key), _words(value)
    dated = re.fullmatch(
        r"(?P<what>.*?)_(?P<y>\d{4})_(?P<m>\d{2})_(?P<d>\d{2})(?:_(?P<n>\d+))?", name
    )
    if dated:
        what = _words(dated["what"])
        suffix = f"-{dated['n']}" if dated["n"] else ""
        return f"newest {what}", f"{what} in {dated['y']}-{dated['m']}-{dated['d']}{suffix}"
    return "value", _words(name)


def _words(name: str) -> str:
    return name.lower().replace("_", " ")


def _flat_table(name: str, table: Mapping[Any, Any]) -> str:
    return _table(_columns(name), [(_code(key), _code(value)) for key, value in table.items()])


def _grouped(name: str, table: Mapping[Any, Any]) -> str:
    key_column, value_column = _columns(name)
    groups: dict[str, list[str]] = {}
    for key, value in table.items():
        groups.setdefault(_code(value), []).append(_code(key))
    return _table(
        (value_column, key_column), [(value, ", ".join(keys)) for value, keys in groups.items()]
    )


def _code(value: Any) -> str:
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    if value is None:
        return "`null`"
    if isinstance(value, list | tuple):
        return ", ".join(_code(item) for item in value) if value else "(nothing)"
    return f"`{value}`"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------- changes


def _changes_section(bundle: VersionBundle) -> str:
    parts = ["## Changes, newest version first"]
    previous: str | None = None
    for value, changes in bundle.changelog():
        marks = [
            mark
            for mark, applies in (
                ("newest", previous is None),
                ("default", value == bundle.default),
            )
            if applies
        ]
        title = f"### {value}" + (f" ({', '.join(marks)})" if marks else "")
        parts += ["", title, ""]
        if previous is None:
            parts.append(
                "The newest version: the shapes of the code (`src/adline/*/schemas.py`). Every"
                " older version below is described by how it differs from the one above it."
            )
        elif not changes:
            parts.append(f"The same as `{previous}`.")
        else:
            parts.append(f"Differs from `{previous}` by:")
            for change in changes:
                parts += ["", f"#### {change.__name__}", "", inspect.cleandoc(change.__doc__ or "")]
                facts = _declared(change)
                if facts:
                    parts += ["", *facts]
        previous = value
    return "\n".join(parts)


def _declared(change: type[VersionChange]) -> list[str]:
    facts: list[str] = []
    for kind, names in change.added_fields.items():
        facts.append(
            f"- `{kind}`: added later (refused in requests, hidden in responses): " + _names(names)
        )
    for kind, names in change.added_response_fields.items():
        facts.append(f"- `{kind}`: hidden in responses: " + _names(names))
    for kind, param_names in change.request_param_names.items():
        facts.append(
            f"- `{kind}` requests: errors name "
            + ", ".join(f"`{older}` (newer: `{newer}`)" for newer, older in param_names.items())
        )
    for request_kind, names in change.added_request_fields.items():
        facts.append(f"- `{request_kind}`: added later (refused): " + _names(names))
    for kind, renamed in change.renamed_fields.items():
        facts.append(
            f"- `{kind}`: named "
            + ", ".join(f"`{older}` (newer: `{newer}`)" for older, newer in renamed.items())
        )
    for direction, table, marker in (
        ("requests", change.request_migrations, "_declared_request_migration"),
        ("responses", change.response_migrations, "_declared_response_migration"),
    ):
        own = [
            f"`{kind}` ({', '.join(f'`{m.__name__}`' for m in custom)})"
            for kind, migrations in table.items()
            if (custom := [m for m in migrations if marker not in m.__qualname__])
        ]
        if own:
            facts.append(f"- migrates {direction}: " + ", ".join(own))
    return facts


def _names(names: Iterable[str]) -> str:
    return ", ".join(f"`{name}`" for name in names)
