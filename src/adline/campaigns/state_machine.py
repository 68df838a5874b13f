"""The state machines of campaigns, ad groups and ads: which action is allowed from which
status, one table per level, in this one module.

docs/campaign-states.md renders these tables; a test walks every row through the HTTP API.
Outcomes: a new status, `SAME` (an idempotent no-op answered 200), `DELETED`, or a
`Refusal` (409). Launching a campaign also needs ad groups and ads; that check lives in
the service because it reads the children, not the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from adline.core.errors import Conflict

Action = Literal["launch", "pause", "unpause", "delete"]

SAME = "same"
DELETED = "deleted"


@dataclass(frozen=True)
class Refusal:
    reason: str


Outcome = str | Refusal

COPYING = Refusal("it is still being duplicated; wait until the copy is done")


@dataclass(frozen=True)
class Lifecycle:
    noun: str
    transitions: dict[tuple[str, Action], Outcome]

    @property
    def statuses(self) -> list[str]:
        return list(dict.fromkeys(status for status, _ in self.transitions))

    def next_status(self, status: str, action: Action) -> str:
        """The status after `action`, `status` itself for a no-op; Conflict (409) if refused."""
        outcome = self.transitions.get((status, action))
        if outcome is None:
            raise Conflict(f"Cannot {action} an {self.noun} whose status is {status}.")
        if isinstance(outcome, Refusal):
            raise Conflict(
                f"Cannot {action} an {self.noun} whose status is {status}: {outcome.reason}."
            )
        return status if outcome == SAME else outcome


CAMPAIGN = Lifecycle(
    "ad campaign",
    {
        ("draft", "launch"): "active",
        ("draft", "pause"): Refusal("a draft campaign is not delivering; launch it first"),
        ("draft", "unpause"): Refusal("a draft campaign has never run; launch it instead"),
        ("draft", "delete"): DELETED,
        ("active", "launch"): SAME,
        ("active", "pause"): "paused",
        ("active", "unpause"): SAME,
        ("active", "delete"): DELETED,
        ("paused", "launch"): Refusal(
            "the campaign was already launched; use unpause to resume it"
        ),
        ("paused", "pause"): SAME,
        ("paused", "unpause"): "active",
        ("paused", "delete"): DELETED,
        ("payment_failed", "launch"): Refusal("the campaign's payment failed; fix billing first"),
        ("payment_failed", "pause"): "paused",
        ("payment_failed", "unpause"): Refusal("the campaign's payment failed; fix billing first"),
        ("payment_failed", "delete"): DELETED,
        ("duplicating", "launch"): COPYING,
        ("duplicating", "pause"): COPYING,
        ("duplicating", "unpause"): COPYING,
        ("duplicating", "delete"): DELETED,
    },
)

AD_GROUP = Lifecycle(
    "ad group",
    {
        ("active", "pause"): "paused",
        ("active", "unpause"): SAME,
        ("active", "delete"): DELETED,
        ("paused", "pause"): SAME,
        ("paused", "unpause"): "active",
        ("paused", "delete"): DELETED,
        ("rejected", "pause"): Refusal("it was rejected; resolve its issues first"),
        ("rejected", "unpause"): Refusal("it was rejected; resolve its issues first"),
        ("rejected", "delete"): DELETED,
        ("duplicating", "pause"): COPYING,
        ("duplicating", "unpause"): COPYING,
        ("duplicating", "delete"): DELETED,
    },
)

AD = Lifecycle(
    "ad",
    {
        ("active", "pause"): "paused",
        ("active", "unpause"): SAME,
        ("active", "delete"): DELETED,
        ("paused", "pause"): SAME,
        ("paused", "unpause"): "active",
        ("paused", "delete"): DELETED,
        # An ad waiting for review can be paused; it then skips delivery once approved.
        ("in_review", "pause"): "paused",
        ("in_review", "unpause"): SAME,
        ("in_review", "delete"): DELETED,
        ("rejected", "pause"): Refusal("it was rejected; edit it to send it to review again"),
        ("rejected", "unpause"): Refusal("it was rejected; edit it to send it to review again"),
        ("rejected", "delete"): DELETED,
        ("duplicating", "pause"): COPYING,
        ("duplicating", "unpause"): COPYING,
        ("duplicating", "delete"): DELETED,
    },
)

LIFECYCLES = (CAMPAIGN, AD_GROUP, AD)

# Campaign statuses that exist on a network (drafts and copies in progress do not).
LAUNCHED = ("active", "paused", "payment_failed")
