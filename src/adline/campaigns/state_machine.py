"""The campaign state machine: which action is allowed from which status, in one table.

docs/campaign-states.md renders this table; a test walks it transition by transition.
Outcomes: a new status, `SAME` (an idempotent no-op answered 200), or a refusal (409).
Launching (PATCH status=active on a draft) also needs ad groups and ads; that check
lives in the service because it reads the children, not the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adline.core.errors import Conflict

Action = Literal["launch", "pause", "unpause", "delete"]
CampaignStatus = Literal["draft", "active", "paused", "payment_failed"]

SAME = "same"
DELETED = "deleted"


@dataclass(frozen=True)
class Refusal:
    reason: str


Outcome = str | Refusal

TRANSITIONS: dict[tuple[CampaignStatus, Action], Outcome] = {
    ("draft", "launch"): "active",
    ("draft", "pause"): Refusal("a draft campaign is not delivering; launch it first"),
    ("draft", "unpause"): Refusal("a draft campaign has never run; launch it instead"),
    ("draft", "delete"): DELETED,
    ("active", "launch"): SAME,
    ("active", "pause"): "paused",
    ("active", "unpause"): SAME,
    ("active", "delete"): DELETED,
    ("paused", "launch"): Refusal("the campaign was already launched; use unpause to resume it"),
    ("paused", "pause"): SAME,
    ("paused", "unpause"): "active",
    ("paused", "delete"): DELETED,
    ("payment_failed", "launch"): Refusal("the campaign's payment failed; fix billing first"),
    ("payment_failed", "pause"): "paused",
    ("payment_failed", "unpause"): Refusal("the campaign's payment failed; fix billing first"),
    ("payment_failed", "delete"): DELETED,
}


def next_status(status: str, action: Action) -> str:
    """The status after `action`, `status` itself for a no-op; raises Conflict (409) if refused."""
    outcome = TRANSITIONS.get((status, action))  # type: ignore[arg-type]
    if outcome is None:
        raise Conflict(f"Cannot {action} a campaign whose status is {status}.")
    if isinstance(outcome, Refusal):
        raise Conflict(f"Cannot {action} a campaign whose status is {status}: {outcome.reason}.")
    return status if outcome == SAME else outcome
