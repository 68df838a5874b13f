"""The metric keys every campaign, ad group and ad response carries (spec B.1)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class MetricFields(BaseModel):
    """Computed over the request's stats window by `adline.metrics.formulas.compute_metrics`."""

    spend: float
    spend_currency: str | None
    impressions: float
    reach: float
    clicks: float
    unique_clicks: float
    link_clicks: float
    click_through_rate: float
    unique_click_through_rate: float | None
    frequency: float | None
    cost_per_click: float
    cost_per_mille: float
    cost_per_unique_click: float | None
    cost_per_result: float | None
    results: float | None
    result_event: str | None
    result_event_name: str | None
    return_on_ad_spend: float
    purchases: float
    purchase_value: float
    leads: float
    lead_value: float
    cost_per_purchase: float | None
    cost_per_lead: float | None
    contacts: float
    contact_value: float
    schedules: float
    schedule_value: float
    submitted_applications: float
    submitted_application_value: float
    completed_registrations: float
    completed_registration_value: float
    viewed_contents: float
    viewed_content_value: float
    added_to_carts: float
    added_to_cart_value: float
    cost_per_contact: float | None
    cost_per_schedule: float | None
    cost_per_submitted_application: float | None
    cost_per_completed_registration: float | None
    cost_per_viewed_content: float | None
    cost_per_added_to_cart: float | None
    custom_conversions: float
    custom_event_counts: dict[str, Any]
    custom_event_values: dict[str, Any]
