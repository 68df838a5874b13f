"""Spend cap request bodies and the response shape (seed 004; the same in every version)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field

from adline.core.currencies import is_currency
from adline.core.money import parse_amount_micro
from adline.core.schemas import PageInfoObject, RequestModel, Timestamp, not_blank
from adline.spend_caps.periods import Period, Status


def _currency(value: str) -> str:
    if not is_currency(value):
        raise ValueError("must be an ISO 4217 currency code in uppercase, such as USD")
    return value


def _amount_micro(value: Any) -> int:
    return parse_amount_micro(value)


Currency = Annotated[str, AfterValidator(_currency)]
# int64 carried as a JSON string (`"50000000000"` = 50,000.00); see core.money.
AmountMicro = Annotated[int, BeforeValidator(_amount_micro)]
CapTitle = Annotated[str, BeforeValidator(not_blank), Field(min_length=1, max_length=200)]
Comment = Annotated[str, Field(max_length=2000)]


class MoneyMicroIn(RequestModel):
    currency: Currency
    amount_micro: AmountMicro


class BudgetIn(RequestModel):
    period: Period
    amount: MoneyMicroIn


class ScheduleIn(RequestModel):
    start: Timestamp
    end: Timestamp | None = None


class SpendCapCreate(RequestModel):
    title: CapTitle
    schedule: ScheduleIn
    budget: BudgetIn
    comment: Comment | None = None
    # Users may create a cap switched off.
    status: Status = "ACTIVE"
    account_id: str | None = None


class BudgetUpdate(RequestModel):
    # Optional: a client may echo the period it read; a different one is refused.
    period: Period | None = None
    amount: MoneyMicroIn


class ScheduleUpdate(RequestModel):
    """Only the keys sent change; `end: null` makes the cap open-ended."""

    start: Timestamp | None = None
    end: Timestamp | None = None


class SpendCapChanges(RequestModel):
    # The `updated_at` the client last read: a stale one answers 409 (optimistic
    # concurrency). Optional, as seed 004's update has none: without it the update applies
    # to the cap as it is (last write wins).
    updated_at: Timestamp | None = None
    title: CapTitle | None = None
    schedule: ScheduleUpdate | None = None
    budget: BudgetUpdate | None = None
    status: Status | None = None
    comment: Comment | None = None


class SpendCapUpdate(RequestModel):
    spend_cap: SpendCapChanges


class MoneyMicro(BaseModel):
    currency: str
    amount_micro: str


class Budget(BaseModel):
    period: Period
    amount: MoneyMicro


class Schedule(BaseModel):
    start: str
    end: str | None


class CurrentPeriod(BaseModel):
    start: str
    end: str | None


class SpendCapObject(BaseModel):
    id: str
    title: str
    schedule: Schedule
    budget: Budget
    applied_ad_spending: MoneyMicro
    remaining: MoneyMicro
    current_period: CurrentPeriod | None
    status: Status
    status_reason: str | None
    comment: str | None
    campaign_count: int
    created_at: str
    updated_at: str


class SpendCapEnvelope(BaseModel):
    spend_cap: SpendCapObject


class SpendCapList(BaseModel):
    spend_caps: list[SpendCapObject]
    page_info: PageInfoObject


class DailySummaryRowObject(BaseModel):
    date: str
    spend: MoneyMicro
    applied_ad_spending: MoneyMicro
    remaining: MoneyMicro
    amount: MoneyMicro
    status: Status
    campaign_ids: list[str]


class SpendCapDailySummaryObject(BaseModel):
    """The JSON answer of `GET /spend_caps/{id}/daily_summary`."""

    spend_cap_id: str
    time_zone: str
    currency: str
    daily_summary: list[DailySummaryRowObject]
