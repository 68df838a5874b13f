"""An adversarial network for the spend cap property test: it spends whatever the test
asks at any instant (as much as the campaign's hard limit allows, never more), applies
limits after a random delay, reports each hour after a random lag, first short and later
corrected to the truth. It keeps the truth (every micro billed, when) to check against."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from adline.core.clock import Clock
from adline.delivery.adapter import (
    AdGroupSpec,
    AdSpec,
    CampaignSpec,
    LifetimeBudget,
    LimitBound,
    ObjectKind,
    ObjectRef,
    ReportedHour,
    ReviewOutcome,
    SpendAllowance,
    SpendingLimit,
    Targeting,
    WriteResult,
)
from adline.delivery.pacing import HOUR, floor_hour


@dataclass(frozen=True)
class _Limit:
    effective_at: datetime
    bounds: tuple[LimitBound, ...]  # none: no limit


@dataclass(frozen=True)
class _HourReport:
    """How one ad-hour is reported: after `lag`, first `share` of the truth, then the truth
    `correction_after` later."""

    lag: timedelta
    share: float
    correction_after: timedelta


class AdversarialNetwork:
    def __init__(self, clock: Clock, seed: int, platform: str = "meta") -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self._platform = platform
        self.limits: dict[str, list[_Limit]] = defaultdict(list)
        # campaign -> [(instant, micros)]; ad of each campaign
        self.billed: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
        self.ad_of: dict[str, str] = {}
        self._hours: dict[tuple[str, datetime], int] = defaultdict(int)
        self._reporting: dict[tuple[str, datetime], _HourReport] = {}

    @property
    def platform(self) -> str:
        return self._platform

    def _applied(self, kind: ObjectKind, object_id: str) -> WriteResult:
        return WriteResult(kind, object_id, f"net-{object_id}", "applied", self.clock.now())

    async def upsert_campaign(self, spec: CampaignSpec, *, idempotency_key: str) -> WriteResult:
        return self._applied("ad_campaign", spec.id)

    async def upsert_ad_group(self, spec: AdGroupSpec, *, idempotency_key: str) -> WriteResult:
        return self._applied("ad_group", spec.id)

    async def upsert_ad(self, spec: AdSpec, *, idempotency_key: str) -> WriteResult:
        return self._applied("ad", spec.id)

    async def delete_object(self, ref: ObjectRef, *, idempotency_key: str) -> WriteResult:
        return self._applied(ref.kind, ref.id)

    async def set_spend_allowances(
        self, allowances: Sequence[SpendAllowance], *, idempotency_key: str
    ) -> list[WriteResult]:
        return [self._applied(item.owner.kind, item.owner.id) for item in allowances]

    def spending_limit_margin(
        self, daily_budget_micros: int, lifetime_budgets: Sequence[LifetimeBudget] = ()
    ) -> int:
        """Limits are held exactly here (refunds aside): no margin."""
        return 0

    async def set_spending_limits(
        self, limits: Sequence[SpendingLimit], *, idempotency_key: str
    ) -> list[WriteResult]:
        results = []
        for item in limits:
            # Up to ten minutes before the network enforces it; the old one holds meanwhile.
            at = self.clock.now() + timedelta(seconds=self.rng.randint(0, 600))
            entries = self.limits[item.campaign_id]
            entries.append(_Limit(at, item.bounds()))
            entries.sort(key=lambda entry: entry.effective_at)
            network_id = f"net-{item.campaign_id}"
            results.append(WriteResult("ad_campaign", item.campaign_id, network_id, "pending", at))
        return results

    def left(self, campaign_id: str, instant: datetime) -> int | None:
        in_force = [entry for entry in self.limits[campaign_id] if entry.effective_at <= instant]
        if not in_force or not in_force[-1].bounds:
            return None
        entry = in_force[-1]
        left = []
        for bound in entry.bounds:
            since = bound.counted_from or entry.effective_at
            spent = sum(micros for at, micros in self.billed[campaign_id] if at >= since)
            left.append(max(0, bound.limit_micros - spent))
        return min(left)

    def spend(self, campaign_id: str, wanted: int) -> int:
        """Bill what the campaign wants now, as far as its limit allows. A campaign starts
        delivering once the network holds a limit for it (it joined its cap before launch)."""
        now = self.clock.now()
        if not any(entry.effective_at <= now for entry in self.limits[campaign_id]):
            return 0
        left = self.left(campaign_id, now)
        billed = wanted if left is None else min(wanted, left)
        if billed > 0:
            self.billed[campaign_id].append((now, billed))
            self._hours[(self.ad_of[campaign_id], floor_hour(now))] += billed
        return billed

    def true_spend(self, campaign_id: str, since: datetime) -> int:
        return sum(micros for at, micros in self.billed[campaign_id] if at >= since)

    def _report_of(self, key: tuple[str, datetime]) -> _HourReport:
        report = self._reporting.get(key)
        if report is None:
            report = self._reporting[key] = _HourReport(
                lag=timedelta(minutes=self.rng.randint(0, 150)),
                share=self.rng.choice((1.0, 1.0, 0.9, 0.5, 0.0)),
                correction_after=timedelta(minutes=self.rng.randint(1, 240)),
            )
        return report

    async def pull_stats(self, since: datetime, until: datetime) -> list[ReportedHour]:
        now = self.clock.now()
        rows = []
        for (ad_id, hour), truth in self._hours.items():
            if not since <= hour < until or hour + HOUR > now:
                continue
            report = self._report_of((ad_id, hour))
            published = hour + HOUR + report.lag
            if now < published:
                continue
            corrected = now >= published + report.correction_after
            spend = truth if corrected else int(truth * report.share)
            rows.append(
                ReportedHour(
                    ad_id=ad_id,
                    hour_start=hour,
                    impressions=spend // 1000,
                    reach=0,
                    clicks=0,
                    unique_clicks=0,
                    link_clicks=0,
                    spend_micros=spend,
                    event_counts={},
                    event_value_micros={},
                    revision=2 if corrected else 1,
                )
            )
        return rows

    async def pull_review_outcomes(self, since: datetime | None = None) -> list[ReviewOutcome]:
        return []

    async def estimate_reach(self, targeting: Targeting) -> tuple[int | None, int | None]:
        return None, None
