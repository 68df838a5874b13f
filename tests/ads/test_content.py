"""The ad content layer, through the same pipeline as HTTP, without a database:

    validate_body(AdCreate, body) -> Ad row -> apply_fields -> check_ad -> content_object

`INVALID_AD_CASES`, `valid_ad_body`, `case_body`, `group_for` and `campaign_for` are shared:
the HTTP tests of POST /ads replay every case against the server. A case's body is
`case_body(group_kind, overrides)` = `{**valid_ad_body(group_kind), **overrides}`, plain JSON.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any, get_args

import pytest

from adline.ad_groups.models import AdGroup
from adline.ads.content import (
    CONTENT_KEYS,
    apply_fields,
    check_ad,
    content_object,
    infer_post_source,
)
from adline.ads.models import Ad
from adline.ads.schemas import AdCreate, AdObject, AdUpdate
from adline.campaigns.models import AdCampaign
from adline.core.errors import InvalidRequest
from adline.core.http import validate_body
from adline.metrics.schemas import MetricFields

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
COMPANY_ID = "biz_contentTest0001"
INVALID = "parameter_invalid"
MISSING = "parameter_missing"

# kind -> (platform, objective, optimization_goal, conversion_location)
GROUP_KINDS: dict[str, tuple[str, str, str, str | None]] = {
    "meta_website": ("meta", "traffic", "link_clicks", "website"),
    "meta_instant_forms": ("meta", "leads", "lead_generation", "instant_forms"),
    "tiktok_website": ("tiktok", "traffic", "link_clicks", "website"),
    # Not used by INVALID_AD_CASES; for the tests of this module only.
    "meta_messaging": ("meta", "engagement", "conversations", "messaging"),
    "meta_no_location": ("meta", "traffic", "link_clicks", None),
}
CASE_GROUP_KINDS = ("meta_website", "meta_instant_forms", "tiktok_website")


def _suffix(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))[:14].ljust(14, "0")


def campaign_for(kind: str) -> AdCampaign:
    platform, objective, _, _ = GROUP_KINDS[kind]
    return AdCampaign(
        id=f"adcamp_{_suffix(kind)}",
        company_id=COMPANY_ID,
        created_by_user_id=None,
        title=f"Campaign {kind}",
        status="draft",
        platform=platform,
        campaign_type="standard",
        objective=objective,
        special_ad_categories=[],
        budget_optimization="ad_group",
        budget_type=None,
        budget_amount_micros=None,
        bid_type=None,
        desired_cost_per_result_micros=None,
        starts_at=None,
        ends_at=None,
        duplicate_of_id=None,
        created_at=NOW,
        updated_at=NOW,
        deleted_at=None,
    )


def group_for(kind: str) -> AdGroup:
    platform, _, goal, location = GROUP_KINDS[kind]
    return AdGroup(
        id=f"adgrp_{_suffix(kind)}",
        company_id=COMPANY_ID,
        ad_campaign_id=f"adcamp_{_suffix(kind)}",
        title=f"Group {kind}",
        status="active",
        platform=platform,
        budget_type="daily",
        budget_amount_micros=20_000_000,
        bid_type="minimum_cost",
        desired_cost_per_result_micros=None,
        minimum_daily_spend_micros=None,
        optimization_goal=goal,
        conversion_location=location,
        conversion_event=None,
        message_apps=["messenger"] if location == "messaging" else None,
        starts_at=None,
        ends_at=None,
        delivery_schedule=None,
        frequency_cap=None,
        keywords=None,
        languages=[],
        placements=None,
        demographics={},
        detailed_targeting={},
        audiences={},
        devices={},
        regions={},
        dynamic_creative=None,
        duplicate_of_id=None,
        created_at=NOW,
        updated_at=NOW,
        deleted_at=None,
    )


def lead_form(**changes: Any) -> dict[str, Any]:
    """A lead form using every part of the structure; `changes` replace top-level keys."""
    form: dict[str, Any] = {
        "name": "Spring waitlist",
        "form_type": "higher_intent",
        "phone_verification": True,
        "intro": {"headline": "Join the waitlist", "description": "Four quick questions."},
        "privacy_policy": {"url": "https://shop.example.com/privacy", "link_text": "Privacy"},
        "disclaimer": {
            "title": "Consent",
            "body": "We may contact you about the launch.",
            "checkboxes": [
                {
                    "text": "Email me about offers",
                    "key": "email_opt_in",
                    "required": False,
                    "checked_by_default": True,
                }
            ],
        },
        "completion": {
            "headline": "Thanks!",
            "description": "We'll be in touch.",
            "button_type": "website",
            "button_text": "Visit the shop",
            "url": "https://shop.example.com",
        },
        "questions": [
            {"type": "full_name"},
            {"type": "email"},
            {"type": "phone"},
            {
                "type": "custom",
                "label": "What are you shopping for?",
                "format": "multiple_choice",
                "options": [
                    {
                        "value": "Shoes",
                        "key": "shoes",
                        "logic": {"action": "go_to_question", "target_question_index": 4},
                    },
                    {
                        "value": "Bags",
                        "key": "bags",
                        "logic": {"action": "submit_form", "target_end_page_index": 0},
                    },
                    {"value": "Just looking", "logic": {"action": "close_form"}},
                ],
            },
            {"type": "custom", "label": "Which shoe size?", "format": "short_answer"},
        ],
    }
    form.update(changes)
    return form


def with_question(index: int, question: dict[str, Any]) -> dict[str, Any]:
    """The lead_form override whose question `index` is replaced (appended at the end)."""
    questions = lead_form()["questions"]
    if index == len(questions):
        questions.append(question)
    else:
        questions[index] = question
    return {"lead_form": lead_form(questions=questions)}


def with_logic(logic: dict[str, Any]) -> dict[str, Any]:
    """The lead_form override whose first choice (on question 3) routes with `logic`."""
    question = copy.deepcopy(lead_form()["questions"][3])
    question["options"][0]["logic"] = logic
    return with_question(3, question)


def with_completion(**completion: Any) -> dict[str, Any]:
    return {"lead_form": lead_form(completion=completion)}


def valid_ad_body(group_kind: str) -> dict[str, Any]:
    """A body that every rule accepts for that kind of ad group (without ad_group_id)."""
    if group_kind in ("meta_website", "meta_no_location"):
        return {
            "title": "Spring sale",
            "status": "active",
            "url": "https://shop.example.com/spring?ref=newsletter",
            "url_parameters": {"promo": "SPRING"},
            "call_to_action": "shop_now",
            "creatives": [
                {"id": "file_heroImage00001"},
                {
                    "id": "file_heroSquare0001",
                    "format": "square",
                    "crop": {"x": 0, "y": 120, "width": 1080, "height": 1080},
                },
                {"id": "file_heroVertical01", "format": "vertical"},
            ],
            "primary_texts": [{"text": "Spring is here."}, {"text": "Fresh styles for spring."}],
            "headlines": [{"text": "30% off everything"}],
            "descriptions": [{"text": "This week only."}],
            "external_accounts": [{"id": "sacc_facebookPage01"}, {"id": "sacc_instagram0001"}],
            "multi_advertiser_ads": False,
        }
    if group_kind == "meta_instant_forms":
        return {
            "title": "Waitlist",
            "call_to_action": "sign_up",
            "creatives": [
                {"id": "file_card0000000001"},
                {"id": "file_card0000000002"},
                {"id": "file_card0000000003"},
            ],
            "primary_texts": [{"text": "Be first in line."}],
            "headlines": [{"text": "Join the waitlist"}],
            "external_accounts": [{"id": "sacc_facebookPage01"}],
            "lead_form": lead_form(),
        }
    if group_kind == "tiktok_website":
        return {
            "title": "Spring sale (TikTok)",
            "url": "https://shop.example.com/spring",
            "call_to_action": "learn_more",
            "creatives": [{"id": "file_tiktokCard0001"}, {"id": "file_tiktokCard0002"}],
            "primary_texts": [{"text": "Spring is here."}],
            "external_accounts": [{"id": "sacc_tiktokAccount1"}],
            "music": {"id": "file_springTrack001"},
        }
    if group_kind == "meta_messaging":
        return {
            "title": "Chat with us",
            "call_to_action": "message_page",
            "creatives": [{"id": "file_chatImage00001"}],
            "primary_texts": [{"text": "Questions? Message us."}],
            "messaging_config": {"message": "Hi! How can we help?", "keyword": "Sizes?"},
        }
    raise ValueError(group_kind)


def case_body(group_kind: str, overrides: dict[str, Any]) -> dict[str, Any]:
    return {**valid_ad_body(group_kind), **copy.deepcopy(overrides)}


def translated(**changes: Any) -> dict[str, Any]:
    """Overrides of a meta_website ad shown in en (its own copy), es (entries) and fr (auto)."""
    overrides: dict[str, Any] = {
        "translations": {"source_language": "en", "automatic_languages": ["fr"]},
        "creatives": [
            {"id": "file_englishImage01", "language": "en"},
            {"id": "file_spanishImage01", "language": "es"},
        ],
        "primary_texts": [
            {"text": "Spring is here.", "language": "en"},
            {"text": "Llegó la primavera.", "language": "es"},
        ],
        "headlines": [
            {"text": "30% off everything", "language": "en"},
            {"text": "30% de descuento", "language": "es"},
        ],
        "descriptions": [{"text": "This week only.", "language": "en"}],
    }
    overrides.update(changes)
    return overrides


_T = translated()
_CARDS_11 = [{"id": f"file_card{index:011d}"} for index in range(11)]
_CROP = {"x": 0, "y": 0, "width": 100, "height": 100}

# (case_id, group_kind, body_overrides, expected_code, expected_param)
INVALID_AD_CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # the body
    ("unknown_field", "meta_website", {"colour": "red"}, INVALID, "colour"),
    # title, status
    ("title_blank", "meta_website", {"title": "   "}, INVALID, "title"),
    ("title_too_long", "meta_website", {"title": "x" * 101}, INVALID, "title"),
    ("title_not_a_string", "meta_website", {"title": 7}, INVALID, "title"),
    ("status_not_settable", "meta_website", {"status": "in_review"}, INVALID, "status"),
    ("status_null", "meta_website", {"status": None}, INVALID, "status"),
    # url
    ("url_not_http", "meta_website", {"url": "ftp://files.example.com/a"}, INVALID, "url"),
    ("url_relative", "meta_website", {"url": "/spring"}, INVALID, "url"),
    ("url_no_host", "meta_website", {"url": "https:///spring"}, INVALID, "url"),
    ("url_with_space", "meta_website", {"url": "https://a.example.com/a b"}, INVALID, "url"),
    ("url_bad_port", "meta_website", {"url": "https://a.example.com:99999/"}, INVALID, "url"),
    (
        "url_too_long",
        "meta_website",
        {"url": "https://a.example.com/" + "p" * 2048},
        INVALID,
        "url",
    ),
    (
        "url_query_parameter_without_name",
        "meta_website",
        {"url": "https://a.example.com/?=x"},
        INVALID,
        "url",
    ),
    # url_parameters
    ("url_parameters_null", "meta_website", {"url_parameters": None}, INVALID, "url_parameters"),
    (
        "url_parameters_not_an_object",
        "meta_website",
        {"url_parameters": ["promo"]},
        INVALID,
        "url_parameters",
    ),
    (
        "url_parameter_object_value",
        "meta_website",
        {"url_parameters": {"promo": {"code": "A"}}},
        INVALID,
        "url_parameters.promo",
    ),
    (
        "url_parameter_null_value",
        "meta_website",
        {"url_parameters": {"promo": None}},
        INVALID,
        "url_parameters.promo",
    ),
    (
        "url_parameter_nested_list",
        "meta_website",
        {"url_parameters": {"promo": [["A"]]}},
        INVALID,
        "url_parameters.promo",
    ),
    (
        "url_parameter_blank_name",
        "meta_website",
        {"url_parameters": {" ": "x"}},
        INVALID,
        "url_parameters",
    ),
    (
        "url_parameter_reserved_on_meta",
        "meta_website",
        {"url_parameters": {"utm_source": "newsletter"}},
        INVALID,
        "url_parameters.utm_source",
    ),
    (
        "url_parameter_reserved_meta_only_key",
        "meta_website",
        {"url_parameters": {"utm_meta_ad_id": "1"}},
        INVALID,
        "url_parameters.utm_meta_ad_id",
    ),
    (
        "url_parameter_reserved_any_case",
        "meta_website",
        {"url_parameters": {"UTM_Whop": "1"}},
        INVALID,
        "url_parameters.UTM_Whop",
    ),
    (
        "url_parameter_reserved_on_tiktok",
        "tiktok_website",
        {"url_parameters": {"campaign_id": "1"}},
        INVALID,
        "url_parameters.campaign_id",
    ),
    (
        "url_query_parameter_reserved",
        "meta_website",
        {"url": "https://shop.example.com/?waid=123"},
        INVALID,
        "url_parameters.waid",
    ),
    # call_to_action
    (
        "call_to_action_response_only_value",
        "meta_website",
        {"call_to_action": "buy_now"},
        INVALID,
        "call_to_action",
    ),
    (
        "call_to_action_unknown",
        "meta_website",
        {"call_to_action": "click"},
        INVALID,
        "call_to_action",
    ),
    # creatives
    ("creatives_null", "meta_website", {"creatives": None}, INVALID, "creatives"),
    ("creatives_not_a_list", "meta_website", {"creatives": {"id": "file_a"}}, INVALID, "creatives"),
    (
        "creative_id_not_a_file",
        "meta_website",
        {"creatives": [{"id": "img_123"}]},
        INVALID,
        "creatives[0].id",
    ),
    (
        "creative_id_prefix_only",
        "meta_website",
        {"creatives": [{"id": "file_"}]},
        INVALID,
        "creatives[0].id",
    ),
    (
        "creative_id_missing",
        "meta_website",
        {"creatives": [{"id": "file_a"}, {"format": "square"}]},
        MISSING,
        "creatives[1].id",
    ),
    (
        "creative_format_unknown",
        "meta_website",
        {"creatives": [{"id": "file_a", "format": "portrait"}]},
        INVALID,
        "creatives[0].format",
    ),
    (
        "creative_unknown_key",
        "meta_website",
        {"creatives": [{"id": "file_a", "media_type": "image"}]},
        INVALID,
        "creatives[0].media_type",
    ),
    (
        "crop_negative_x",
        "meta_website",
        {"creatives": [{"id": "file_a", "format": "square", "crop": {**_CROP, "x": -1}}]},
        INVALID,
        "creatives[0].crop.x",
    ),
    (
        "crop_zero_width",
        "meta_website",
        {"creatives": [{"id": "file_a", "format": "square", "crop": {**_CROP, "width": 0}}]},
        INVALID,
        "creatives[0].crop.width",
    ),
    (
        "crop_height_missing",
        "meta_website",
        {"creatives": [{"id": "file_a", "format": "square", "crop": {"x": 0, "y": 0, "width": 5}}]},
        MISSING,
        "creatives[0].crop.height",
    ),
    (
        "crop_not_a_number",
        "meta_website",
        {"creatives": [{"id": "file_a", "format": "square", "crop": {**_CROP, "y": "10"}}]},
        INVALID,
        "creatives[0].crop.y",
    ),
    (
        "crop_without_format",
        "meta_website",
        {"creatives": [{"id": "file_a", "crop": _CROP}]},
        INVALID,
        "creatives[0].crop",
    ),
    (
        "creative_language_not_iso_639",
        "meta_website",
        {"creatives": [{"id": "file_a", "language": "english"}]},
        INVALID,
        "creatives[0].language",
    ),
    (
        "creative_language_without_translations",
        "meta_website",
        {"creatives": [{"id": "file_a", "language": "en"}]},
        INVALID,
        "creatives[0].language",
    ),
    (
        "carousel_of_11_cards_on_meta",
        "meta_website",
        {"creatives": _CARDS_11},
        INVALID,
        "creatives",
    ),
    (
        "carousel_of_11_cards_on_tiktok",
        "tiktok_website",
        {"creatives": _CARDS_11},
        INVALID,
        "creatives",
    ),
    (
        "carousel_mixed_with_formats",
        "meta_website",
        {"creatives": [{"id": "file_a"}, {"id": "file_b"}, {"id": "file_c", "format": "square"}]},
        INVALID,
        "creatives[2].format",
    ),
    (
        "format_given_twice",
        "meta_website",
        {
            "creatives": [
                {"id": "file_a"},
                {"id": "file_b", "format": "square"},
                {"id": "file_c", "format": "square"},
            ]
        },
        INVALID,
        "creatives[2].format",
    ),
    # primary_texts, headlines, descriptions
    ("primary_texts_null", "meta_website", {"primary_texts": None}, INVALID, "primary_texts"),
    (
        "primary_text_blank",
        "meta_website",
        {"primary_texts": [{"text": "ok"}, {"text": "  "}]},
        INVALID,
        "primary_texts[1].text",
    ),
    ("headline_without_text", "meta_website", {"headlines": [{}]}, MISSING, "headlines[0].text"),
    ("headlines_null", "meta_website", {"headlines": None}, INVALID, "headlines"),
    (
        "description_not_a_string",
        "meta_website",
        {"descriptions": [{"text": 5}]},
        INVALID,
        "descriptions[0].text",
    ),
    ("descriptions_null", "meta_website", {"descriptions": None}, INVALID, "descriptions"),
    (
        "text_language_without_translations",
        "meta_website",
        {"headlines": [{"text": "Hi", "language": "en"}]},
        INVALID,
        "headlines[0].language",
    ),
    # existing_post_id, post_source
    (
        "existing_post_with_creatives",
        "meta_website",
        {"existing_post_id": "1234567890_987654321"},
        INVALID,
        "existing_post_id",
    ),
    (
        "existing_post_id_with_space",
        "meta_website",
        {"existing_post_id": "123 456", "creatives": []},
        INVALID,
        "existing_post_id",
    ),
    (
        "existing_post_id_not_a_string",
        "meta_website",
        {"existing_post_id": 123456, "creatives": []},
        INVALID,
        "existing_post_id",
    ),
    (
        "post_source_without_post",
        "meta_website",
        {"post_source": "facebook"},
        INVALID,
        "post_source",
    ),
    (
        "post_source_unknown",
        "meta_website",
        {"existing_post_id": "17895695668004550", "creatives": [], "post_source": "tiktok"},
        INVALID,
        "post_source",
    ),
    (
        "post_source_on_tiktok",
        "tiktok_website",
        {
            "existing_post_id": "7301234567890123456",
            "creatives": [],
            "music": None,
            "post_source": "instagram",
        },
        INVALID,
        "post_source",
    ),
    # external_accounts
    (
        "external_accounts_null",
        "meta_website",
        {"external_accounts": None},
        INVALID,
        "external_accounts",
    ),
    (
        "external_account_not_sacc",
        "meta_website",
        {"external_accounts": [{"id": "page_123"}]},
        INVALID,
        "external_accounts[0].id",
    ),
    (
        "external_account_without_id",
        "meta_website",
        {"external_accounts": [{}]},
        MISSING,
        "external_accounts[0].id",
    ),
    (
        "external_accounts_three",
        "meta_website",
        {"external_accounts": [{"id": "sacc_a"}, {"id": "sacc_b"}, {"id": "sacc_c"}]},
        INVALID,
        "external_accounts",
    ),
    (
        "external_account_twice",
        "meta_website",
        {"external_accounts": [{"id": "sacc_a"}, {"id": "sacc_a"}]},
        INVALID,
        "external_accounts[1].id",
    ),
    # lead_form, lead_form_id: where they may be used
    (
        "lead_form_on_website_group",
        "meta_website",
        {"lead_form": lead_form()},
        INVALID,
        "lead_form",
    ),
    (
        "lead_form_on_tiktok_website_group",
        "tiktok_website",
        {"lead_form": lead_form()},
        INVALID,
        "lead_form",
    ),
    (
        "lead_form_id_on_website_group",
        "meta_website",
        {"lead_form_id": "1234567890"},
        INVALID,
        "lead_form_id",
    ),
    (
        "lead_form_and_lead_form_id",
        "meta_instant_forms",
        {"lead_form_id": "1234567890"},
        INVALID,
        "lead_form_id",
    ),
    (
        "lead_form_id_with_space",
        "meta_instant_forms",
        {"lead_form": None, "lead_form_id": "123 456"},
        INVALID,
        "lead_form_id",
    ),
    # lead_form: its structure
    ("lead_form_not_an_object", "meta_instant_forms", {"lead_form": "form"}, INVALID, "lead_form"),
    (
        "lead_form_unknown_key",
        "meta_instant_forms",
        {"lead_form": lead_form(theme="dark")},
        INVALID,
        "lead_form.theme",
    ),
    (
        "lead_form_type_unknown",
        "meta_instant_forms",
        {"lead_form": lead_form(form_type="max_volume")},
        INVALID,
        "lead_form.form_type",
    ),
    (
        "lead_form_without_questions",
        "meta_instant_forms",
        {"lead_form": lead_form(questions=[])},
        MISSING,
        "lead_form.questions",
    ),
    (
        "question_type_unknown",
        "meta_instant_forms",
        with_question(0, {"type": "nickname"}),
        INVALID,
        "lead_form.questions[0].type",
    ),
    (
        "question_type_missing",
        "meta_instant_forms",
        with_question(0, {"label": "Name?"}),
        MISSING,
        "lead_form.questions[0].type",
    ),
    (
        "custom_question_without_label",
        "meta_instant_forms",
        with_question(4, {"type": "custom", "format": "short_answer"}),
        MISSING,
        "lead_form.questions[4].label",
    ),
    (
        "custom_question_without_format",
        "meta_instant_forms",
        with_question(4, {"type": "custom", "label": "Size?"}),
        MISSING,
        "lead_form.questions[4].format",
    ),
    (
        "question_format_unknown",
        "meta_instant_forms",
        with_question(4, {"type": "custom", "label": "Size?", "format": "long_answer"}),
        INVALID,
        "lead_form.questions[4].format",
    ),
    (
        "standard_question_with_label",
        "meta_instant_forms",
        with_question(1, {"type": "email", "label": "Your email"}),
        INVALID,
        "lead_form.questions[1].label",
    ),
    (
        "standard_question_with_format",
        "meta_instant_forms",
        with_question(1, {"type": "email", "format": "short_answer"}),
        INVALID,
        "lead_form.questions[1].format",
    ),
    (
        "standard_question_asked_twice",
        "meta_instant_forms",
        with_question(5, {"type": "email"}),
        INVALID,
        "lead_form.questions[5].type",
    ),
    (
        "multiple_choice_without_options",
        "meta_instant_forms",
        with_question(4, {"type": "custom", "label": "Size?", "format": "multiple_choice"}),
        MISSING,
        "lead_form.questions[4].options",
    ),
    (
        "multiple_choice_with_one_option",
        "meta_instant_forms",
        with_question(
            4,
            {
                "type": "custom",
                "label": "Size?",
                "format": "multiple_choice",
                "options": [{"value": "M"}],
            },
        ),
        INVALID,
        "lead_form.questions[4].options",
    ),
    (
        "options_on_short_answer",
        "meta_instant_forms",
        with_question(
            4,
            {
                "type": "custom",
                "label": "Size?",
                "format": "short_answer",
                "options": [{"value": "M"}, {"value": "L"}],
            },
        ),
        INVALID,
        "lead_form.questions[4].options",
    ),
    (
        "option_offered_twice",
        "meta_instant_forms",
        with_question(
            4,
            {
                "type": "custom",
                "label": "Size?",
                "format": "multiple_choice",
                "options": [{"value": "M"}, {"value": "M"}],
            },
        ),
        INVALID,
        "lead_form.questions[4].options[1].value",
    ),
    (
        "option_key_used_twice",
        "meta_instant_forms",
        with_question(
            4,
            {
                "type": "custom",
                "label": "Size?",
                "format": "multiple_choice",
                "options": [{"value": "M", "key": "size"}, {"value": "L", "key": "size"}],
            },
        ),
        INVALID,
        "lead_form.questions[4].options[1].key",
    ),
    (
        "option_value_blank",
        "meta_instant_forms",
        with_question(
            4,
            {
                "type": "custom",
                "label": "Size?",
                "format": "multiple_choice",
                "options": [{"value": "M"}, {"value": " "}],
            },
        ),
        INVALID,
        "lead_form.questions[4].options[1].value",
    ),
    # lead_form: answer routing (logic)
    (
        "logic_action_unknown",
        "meta_instant_forms",
        with_logic({"action": "skip"}),
        INVALID,
        "lead_form.questions[3].options[0].logic.action",
    ),
    (
        "go_to_question_without_target",
        "meta_instant_forms",
        with_logic({"action": "go_to_question"}),
        MISSING,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_outside_the_form",
        "meta_instant_forms",
        with_logic({"action": "go_to_question", "target_question_index": 5}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_backwards",
        "meta_instant_forms",
        with_logic({"action": "go_to_question", "target_question_index": 1}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_itself",
        "meta_instant_forms",
        with_logic({"action": "go_to_question", "target_question_index": 3}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_negative",
        "meta_instant_forms",
        with_logic({"action": "go_to_question", "target_question_index": -1}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_index_not_an_integer",
        "meta_instant_forms",
        with_logic({"action": "go_to_question", "target_question_index": 4.0}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "go_to_question_with_end_page",
        "meta_instant_forms",
        with_logic(
            {"action": "go_to_question", "target_question_index": 4, "target_end_page_index": 0}
        ),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_end_page_index",
    ),
    (
        "submit_form_to_missing_end_page",
        "meta_instant_forms",
        with_logic({"action": "submit_form", "target_end_page_index": 1}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_end_page_index",
    ),
    (
        "submit_form_with_question_target",
        "meta_instant_forms",
        with_logic({"action": "submit_form", "target_question_index": 4}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_question_index",
    ),
    (
        "close_form_with_end_page",
        "meta_instant_forms",
        with_logic({"action": "close_form", "target_end_page_index": 0}),
        INVALID,
        "lead_form.questions[3].options[0].logic.target_end_page_index",
    ),
    # lead_form: phone verification, privacy policy, disclaimer, completion
    (
        "phone_verification_on_more_volume_form",
        "meta_instant_forms",
        {"lead_form": lead_form(form_type="more_volume")},
        INVALID,
        "lead_form.phone_verification",
    ),
    (
        "phone_verification_without_phone_question",
        "meta_instant_forms",
        {"lead_form": lead_form(questions=[{"type": "email"}])},
        INVALID,
        "lead_form.phone_verification",
    ),
    (
        "privacy_policy_without_url",
        "meta_instant_forms",
        {"lead_form": lead_form(privacy_policy={"link_text": "Privacy"})},
        MISSING,
        "lead_form.privacy_policy.url",
    ),
    (
        "privacy_policy_url_not_http",
        "meta_instant_forms",
        {"lead_form": lead_form(privacy_policy={"url": "shop.example.com/privacy"})},
        INVALID,
        "lead_form.privacy_policy.url",
    ),
    (
        "disclaimer_checkbox_without_text",
        "meta_instant_forms",
        {"lead_form": lead_form(disclaimer={"checkboxes": [{"key": "a"}]})},
        MISSING,
        "lead_form.disclaimer.checkboxes[0].text",
    ),
    (
        "disclaimer_checkbox_key_twice",
        "meta_instant_forms",
        {
            "lead_form": lead_form(
                disclaimer={
                    "checkboxes": [{"text": "A", "key": "consent"}, {"text": "B", "key": "consent"}]
                }
            )
        },
        INVALID,
        "lead_form.disclaimer.checkboxes[1].key",
    ),
    (
        "completion_website_button_without_url",
        "meta_instant_forms",
        with_completion(headline="Thanks!"),
        MISSING,
        "lead_form.completion.url",
    ),
    (
        "completion_call_button_without_number",
        "meta_instant_forms",
        with_completion(button_type="call"),
        MISSING,
        "lead_form.completion.phone_number",
    ),
    (
        "completion_download_button_without_file",
        "meta_instant_forms",
        with_completion(button_type="download"),
        MISSING,
        "lead_form.completion.file_url",
    ),
    (
        "completion_number_on_website_button",
        "meta_instant_forms",
        with_completion(url="https://shop.example.com", phone_number="+14155550100"),
        INVALID,
        "lead_form.completion.phone_number",
    ),
    (
        "completion_number_not_e164",
        "meta_instant_forms",
        with_completion(button_type="call", phone_number="555-0100"),
        INVALID,
        "lead_form.completion.phone_number",
    ),
    (
        "completion_button_type_unknown",
        "meta_instant_forms",
        with_completion(button_type="email", url="https://shop.example.com"),
        INVALID,
        "lead_form.completion.button_type",
    ),
    # messaging_config
    (
        "messaging_config_empty",
        "meta_website",
        {"messaging_config": {}},
        MISSING,
        "messaging_config.message",
    ),
    (
        "messaging_config_on_website_group",
        "meta_website",
        {"messaging_config": {"message": "Hi!"}},
        INVALID,
        "messaging_config",
    ),
    (
        "messaging_config_blank_keyword",
        "meta_website",
        {"messaging_config": {"message": "Hi!", "keyword": ""}},
        INVALID,
        "messaging_config.keyword",
    ),
    # multi_advertiser_ads
    (
        "multi_advertiser_ads_not_a_boolean",
        "meta_website",
        {"multi_advertiser_ads": "yes"},
        INVALID,
        "multi_advertiser_ads",
    ),
    # music
    ("music_on_meta", "meta_website", {"music": {"id": "file_track00000001"}}, INVALID, "music"),
    ("music_not_a_file", "tiktok_website", {"music": {"id": "song_1"}}, INVALID, "music.id"),
    ("music_without_id", "tiktok_website", {"music": {}}, MISSING, "music.id"),
    (
        "music_without_carousel",
        "tiktok_website",
        {"creatives": [{"id": "file_video0000001", "format": "vertical"}]},
        INVALID,
        "music",
    ),
    (
        "music_on_existing_post",
        "tiktok_website",
        {"creatives": [], "existing_post_id": "7301234567890123456"},
        INVALID,
        "music",
    ),
    # translations
    (
        "translations_on_tiktok",
        "tiktok_website",
        {"translations": {"source_language": "en", "automatic_languages": ["es"]}},
        INVALID,
        "translations",
    ),
    ("translations_on_instant_forms_group", "meta_instant_forms", _T, INVALID, "translations"),
    (
        "translations_source_language_unknown",
        "meta_website",
        translated(translations={"source_language": "english"}),
        INVALID,
        "translations.source_language",
    ),
    (
        "translations_without_source_language",
        "meta_website",
        translated(translations={"automatic_languages": ["fr"]}),
        MISSING,
        "translations.source_language",
    ),
    (
        "translations_on_existing_post",
        "meta_website",
        translated(creatives=[], existing_post_id="1234567890_987654321"),
        INVALID,
        "translations",
    ),
    (
        "translations_entry_without_language",
        "meta_website",
        translated(descriptions=[{"text": "This week only."}]),
        MISSING,
        "descriptions[0].language",
    ),
    (
        "translations_creative_with_format",
        "meta_website",
        translated(creatives=[{"id": "file_en", "language": "en", "format": "square"}]),
        INVALID,
        "creatives[0].format",
    ),
    (
        "translations_without_own_creative",
        "meta_website",
        translated(creatives=[{"id": "file_es", "language": "es"}]),
        MISSING,
        "creatives",
    ),
    (
        "translations_on_carousel",
        "meta_website",
        translated(
            creatives=[{"id": "file_a", "language": "en"}, {"id": "file_b", "language": "en"}]
        ),
        INVALID,
        "creatives",
    ),
    (
        "translations_without_own_headline",
        "meta_website",
        translated(headlines=[{"text": "30% de descuento", "language": "es"}]),
        MISSING,
        "headlines",
    ),
    (
        "translations_two_own_primary_texts",
        "meta_website",
        translated(
            primary_texts=[
                {"text": "Spring is here.", "language": "en"},
                {"text": "Fresh styles.", "language": "en"},
                {"text": "Llegó la primavera.", "language": "es"},
            ]
        ),
        INVALID,
        "primary_texts[1].language",
    ),
    (
        "translations_two_own_descriptions",
        "meta_website",
        translated(
            descriptions=[
                {"text": "This week only.", "language": "en"},
                {"text": "While stocks last.", "language": "en"},
            ]
        ),
        INVALID,
        "descriptions[1].language",
    ),
    (
        "translations_language_without_headline",
        "meta_website",
        translated(headlines=[{"text": "30% off everything", "language": "en"}]),
        MISSING,
        "headlines",
    ),
    (
        "translations_language_given_twice",
        "meta_website",
        translated(
            headlines=[
                {"text": "30% off everything", "language": "en"},
                {"text": "30% de descuento", "language": "es"},
                {"text": "Todo al 30%", "language": "es"},
            ]
        ),
        INVALID,
        "headlines[2].language",
    ),
    (
        "translations_automatic_source_language",
        "meta_website",
        translated(translations={"source_language": "en", "automatic_languages": ["en"]}),
        INVALID,
        "translations.automatic_languages[0]",
    ),
    (
        "translations_automatic_listed_twice",
        "meta_website",
        translated(translations={"source_language": "en", "automatic_languages": ["fr", "fr"]}),
        INVALID,
        "translations.automatic_languages[1]",
    ),
    (
        "translations_automatic_and_own_entries",
        "meta_website",
        translated(translations={"source_language": "en", "automatic_languages": ["es"]}),
        INVALID,
        "translations.automatic_languages[0]",
    ),
    (
        "translations_automatic_not_offered",
        "meta_website",
        translated(translations={"source_language": "en", "automatic_languages": ["fr", "ja"]}),
        INVALID,
        "translations.automatic_languages[1]",
    ),
    (
        "translations_automatic_language_unknown",
        "meta_website",
        translated(translations={"source_language": "en", "automatic_languages": ["xx"]}),
        INVALID,
        "translations.automatic_languages[0]",
    ),
    (
        "translations_without_another_language",
        "meta_website",
        translated(
            translations={"source_language": "en"},
            creatives=[{"id": "file_en", "language": "en"}],
            primary_texts=[{"text": "Spring is here.", "language": "en"}],
            headlines=[{"text": "30% off everything", "language": "en"}],
        ),
        INVALID,
        "translations",
    ),
]


# --- the pipeline -------------------------------------------------------------------------


def new_ad(kind: str) -> Ad:
    group = group_for(kind)
    return Ad(
        id="ad_contentTest00001",
        company_id=COMPANY_ID,
        ad_campaign_id=group.ad_campaign_id,
        ad_group_id=group.id,
        status="active",
        platform=group.platform,
        created_at=NOW,
        updated_at=NOW,
    )


def create(kind: str, body: dict[str, Any]) -> Ad:
    """POST /ads without HTTP: parse, build the row, apply the fields, check the rules."""
    parsed = validate_body(AdCreate, body)
    ad = new_ad(kind)
    apply_fields(ad, parsed, parsed.model_fields_set - {"ad_group_id", "ad_group"})
    check_ad(ad, group_for(kind), campaign_for(kind))
    return ad


def update(ad: Ad, kind: str, body: dict[str, Any]) -> Ad:
    """PATCH /ads/{id} without HTTP."""
    parsed = validate_body(AdUpdate, body)
    apply_fields(ad, parsed, set(parsed.model_fields_set))
    check_ad(ad, group_for(kind), campaign_for(kind))
    return ad


def full_object(ad: Ad) -> dict[str, Any]:
    """content_object plus placeholder non-content keys, to validate against AdObject."""
    metrics: dict[str, Any] = {
        key: None if type(None) in get_args(AdObject.model_fields[key].annotation) else 0
        for key in METRIC_KEYS
    }
    metrics.update(custom_event_counts={}, custom_event_values={}, spend_currency="usd")
    return {
        "id": ad.id,
        "ad_group": {"id": ad.ad_group_id},
        "ad_campaign": {"id": ad.ad_campaign_id},
        "status": ad.status,
        "delivery_status": "draft",
        "platform": ad.platform,
        "issues": [],
        "created_at": "2026-03-02T09:00:00.000000Z",
        "updated_at": "2026-03-02T09:00:00.000000Z",
        **content_object(ad),
        **metrics,
    }


def assert_contains(rendered: Any, sent: Any, path: str = "") -> None:
    """Everything sent is rendered back unchanged (the rendering may add defaults)."""
    if isinstance(sent, dict):
        assert isinstance(rendered, dict), path
        for key, value in sent.items():
            assert key in rendered, f"{path}.{key}"
            assert_contains(rendered[key], value, f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(rendered, list) and len(rendered) == len(sent), path
        for index, (got, want) in enumerate(zip(rendered, sent, strict=True)):
            assert_contains(got, want, f"{path}[{index}]")
    else:
        assert rendered == sent and type(rendered) is type(sent), (path, rendered, sent)


NON_CONTENT_KEYS = {
    "id",
    "ad_group",
    "ad_campaign",
    "status",
    "delivery_status",
    "platform",
    "issues",
    "created_at",
    "updated_at",
}
# Every read level carries the same metric fields (adline.metrics.schemas).
METRIC_KEYS = set(MetricFields.model_fields)


# --- tests --------------------------------------------------------------------------------


class TestAdObject:
    def test_key_set_is_the_newest_clients(self) -> None:
        keys = set(AdObject.model_fields)
        assert len(keys) == 73
        assert set(CONTENT_KEYS) | NON_CONTENT_KEYS | METRIC_KEYS == keys
        assert len(CONTENT_KEYS) == 19 and len(METRIC_KEYS) == 45
        assert "social_accounts" not in keys  # dropped in 2.6.0

    @pytest.mark.parametrize("kind", [*CASE_GROUP_KINDS, "meta_messaging"])
    def test_rendered_content_fits_the_response_model(self, kind: str) -> None:
        ad = create(kind, valid_ad_body(kind))
        rendered = content_object(ad)
        assert tuple(rendered) == CONTENT_KEYS
        AdObject.model_validate(full_object(ad))
        json.dumps(rendered, allow_nan=False)


class TestInvalidCases:
    def test_cases_are_well_formed(self) -> None:
        ids = [case[0] for case in INVALID_AD_CASES]
        assert len(ids) == len(set(ids))
        for _, kind, overrides, code, param in INVALID_AD_CASES:
            assert kind in CASE_GROUP_KINDS
            assert code in {INVALID, MISSING} and param
            body = case_body(kind, overrides)
            assert json.loads(json.dumps(body, allow_nan=False)) == body  # plain JSON

    @pytest.mark.parametrize("kind", CASE_GROUP_KINDS)
    def test_the_valid_body_passes(self, kind: str) -> None:
        create(kind, valid_ad_body(kind))

    @pytest.mark.parametrize(
        ("case_id", "kind", "overrides", "code", "param"),
        INVALID_AD_CASES,
        ids=[case[0] for case in INVALID_AD_CASES],
    )
    def test_create_is_refused_naming_the_param(
        self, case_id: str, kind: str, overrides: dict[str, Any], code: str, param: str
    ) -> None:
        with pytest.raises(InvalidRequest) as caught:
            create(kind, case_body(kind, overrides))
        error = caught.value
        assert (error.status_code, error.code, error.param) == (400, code, param), error.message
        assert error.message

    @pytest.mark.parametrize(
        ("case_id", "kind", "overrides", "code", "param"),
        INVALID_AD_CASES,
        ids=[case[0] for case in INVALID_AD_CASES],
    )
    def test_the_same_body_as_a_patch_is_refused_alike(
        self, case_id: str, kind: str, overrides: dict[str, Any], code: str, param: str
    ) -> None:
        ad = create(kind, valid_ad_body(kind))
        with pytest.raises(InvalidRequest) as caught:
            update(ad, kind, case_body(kind, overrides))
        assert (caught.value.code, caught.value.param) == (code, param), caught.value.message


class TestValidVariants:
    """Bodies near the edges of the rules that must be accepted."""

    @pytest.mark.parametrize(
        ("kind", "overrides"),
        [
            ("meta_website", {"creatives": [{"id": "file_only"}]}),  # a single asset
            ("meta_website", {"creatives": _CARDS_11[:10]}),  # a 10-card carousel
            ("meta_website", {"creatives": [{"id": "file_sq", "format": "square"}]}),
            ("meta_website", {"creatives": [], "existing_post_id": "1234567890_987654321"}),
            ("meta_website", {"status": "paused", "call_to_action": "no_button"}),
            ("meta_website", {"url_parameters": {"tag": ["a", "b"], "n": 3, "on": True}}),
            ("meta_website", {"url_parameters": {"ad_id": "x"}}),  # reserved on TikTok only
            ("tiktok_website", {"url_parameters": {"utm_content": "x"}}),  # reserved on Meta only
            ("meta_website", {"title": None, "url": None, "call_to_action": None}),
            ("meta_website", {"multi_advertiser_ads": None, "music": None, "translations": None}),
            ("meta_website", translated()),
            ("meta_website", translated(translations={"source_language": "EN"})),
            ("meta_no_location", translated()),
            ("tiktok_website", {"creatives": [{"id": "file_single"}]}),  # a one-card carousel
            ("tiktok_website", {"music": None}),
            ("tiktok_website", {"creatives": [], "existing_post_id": "7301", "music": None}),
            ("meta_instant_forms", {"lead_form": None, "lead_form_id": "1234567890"}),
            ("meta_instant_forms", {"lead_form": {"questions": [{"type": "email"}]}}),
            (
                "meta_instant_forms",
                with_completion(button_type="call", phone_number="+33612345678"),
            ),
            (
                "meta_instant_forms",
                with_completion(button_type="download", file_url="https://x.example.com/a.pdf"),
            ),
            ("meta_instant_forms", with_logic({"action": "submit_form"})),
            ("meta_messaging", {"messaging_config": {"keyword": "Sizes?"}}),
        ],
    )
    def test_accepted(self, kind: str, overrides: dict[str, Any]) -> None:
        ad = create(kind, case_body(kind, overrides))
        AdObject.model_validate(full_object(ad))

    def test_a_group_without_conversion_location_takes_no_lead_form(self) -> None:
        with pytest.raises(InvalidRequest) as caught:
            create("meta_no_location", {"lead_form": lead_form()})
        assert caught.value.param == "lead_form"

    def test_translations_refuse_dynamic_creative_groups(self) -> None:
        parsed = validate_body(AdCreate, case_body("meta_website", translated()))
        ad = new_ad("meta_website")
        apply_fields(ad, parsed, set(parsed.model_fields_set))
        group = group_for("meta_website")
        group.dynamic_creative = True
        with pytest.raises(InvalidRequest) as caught:
            check_ad(ad, group, campaign_for("meta_website"))
        assert caught.value.param == "translations"

    def test_other_networks_reserve_the_keys_every_network_reserves(self) -> None:
        parsed = validate_body(AdCreate, {"url_parameters": {"ad_id": "1", "waid": "2"}})
        ad = new_ad("meta_website")
        apply_fields(ad, parsed, set(parsed.model_fields_set))
        group = group_for("meta_website")
        group.platform = "google"
        with pytest.raises(InvalidRequest) as caught:
            check_ad(ad, group, campaign_for("meta_website"))
        assert caught.value.param == "url_parameters.waid"


class TestRoundTrip:
    @pytest.mark.parametrize("kind", [*CASE_GROUP_KINDS, "meta_messaging"])
    def test_what_is_sent_is_rendered(self, kind: str) -> None:
        body = valid_ad_body(kind)
        rendered = content_object(create(kind, body))
        for key, value in body.items():
            if key in {"url", "url_parameters", "status"}:
                continue
            assert_contains(rendered[key], value, key)

    def test_url_query_moves_into_url_parameters(self) -> None:
        ad = create("meta_website", valid_ad_body("meta_website"))
        rendered = content_object(ad)
        assert rendered["url"] == "https://shop.example.com/spring"
        assert rendered["url_parameters"] == {"ref": "newsletter", "promo": "SPRING"}

    def test_url_query_is_decoded_repeats_become_lists_and_the_fragment_stays(self) -> None:
        url = "https://shop.example.com/a%20b/?q=red+shoes&tag=a&tag=b&empty=#reviews"
        rendered = content_object(create("meta_website", {"url": url}))
        assert rendered["url"] == "https://shop.example.com/a%20b/#reviews"
        assert rendered["url_parameters"] == {"q": "red shoes", "tag": ["a", "b"], "empty": ""}

    def test_explicit_url_parameters_win_over_the_url_query(self) -> None:
        body = {"url": "https://a.example.com/?promo=URL&ref=x", "url_parameters": {"promo": "KEY"}}
        rendered = content_object(create("meta_website", body))
        assert rendered["url"] == "https://a.example.com/"
        assert rendered["url_parameters"] == {"promo": "KEY", "ref": "x"}

    def test_url_parameter_values_keep_their_json_type(self) -> None:
        params = {"n": 3, "rate": 1.5, "on": False, "tags": ["a", 2]}
        rendered = content_object(create("meta_website", {"url_parameters": params}))
        assert_contains(rendered["url_parameters"], params)

    def test_defaults_of_an_empty_ad(self) -> None:
        rendered = content_object(create("meta_website", {}))
        assert rendered == {
            "title": None,
            "url": None,
            "url_parameters": {},
            "call_to_action": None,
            "creatives": [],
            "primary_texts": [],
            "headlines": [],
            "descriptions": [],
            "existing_post_id": None,
            "post_source": None,
            "post_id": None,
            "post_thumbnail_url": None,
            "external_accounts": [],
            "lead_form": None,
            "lead_form_id": None,
            "messaging_config": None,
            "multi_advertiser_ads": True,
            "music": None,
            "translations": None,
        }

    def test_creative_defaults(self) -> None:
        body = {"creatives": [{"id": "file_a"}, {"id": "file_b"}]}
        rendered = content_object(create("meta_website", body))
        assert rendered["creatives"][0] == {
            "id": "file_a",
            "format": None,
            "crop": None,
            "language": None,
            "media_type": None,
            "url": None,
        }

    def test_crop_numbers_render_as_sent(self) -> None:
        crop = {"x": 0, "y": 12.5, "width": 1080, "height": 607.5}
        body = {"creatives": [{"id": "file_a", "format": "horizontal", "crop": crop}]}
        rendered = content_object(create("meta_website", body))
        assert_contains(rendered["creatives"][0]["crop"], crop)

    def test_text_music_translations_messaging_defaults(self) -> None:
        rendered = content_object(create("meta_website", translated()))
        assert rendered["primary_texts"][0] == {"text": "Spring is here.", "language": "en"}
        assert rendered["translations"] == {"source_language": "en", "automatic_languages": ["fr"]}
        rendered = content_object(create("tiktok_website", valid_ad_body("tiktok_website")))
        assert rendered["music"] == {"id": "file_springTrack001", "name": None, "url": None}
        assert rendered["primary_texts"] == [{"text": "Spring is here.", "language": None}]
        body = {"messaging_config": {"message": "Hi!"}}
        rendered = content_object(create("meta_messaging", body))
        assert rendered["messaging_config"] == {"message": "Hi!", "keyword": None}

    def test_translations_without_automatic_languages_render_an_empty_list(self) -> None:
        body = translated(translations={"source_language": "en"})
        rendered = content_object(create("meta_website", body))
        assert rendered["translations"] == {"source_language": "en", "automatic_languages": []}

    def test_language_codes_are_stored_lowercase(self) -> None:
        body = translated(translations={"source_language": "EN", "automatic_languages": ["FR"]})
        rendered = content_object(create("meta_website", body))
        assert rendered["translations"] == {"source_language": "en", "automatic_languages": ["fr"]}

    def test_lead_form_defaults(self) -> None:
        body = {"title": "Waitlist", "lead_form": {"questions": [{"type": "email"}]}}
        rendered = content_object(create("meta_instant_forms", body))
        assert rendered["lead_form"] == {
            "name": "Lead form for Waitlist",
            "form_type": "more_volume",
            "phone_verification": False,
            "intro": None,
            "privacy_policy": None,
            "disclaimer": None,
            "completion": None,
            "questions": [{"type": "email", "label": None, "format": None, "options": None}],
        }

    def test_lead_form_nested_defaults(self) -> None:
        form = lead_form(
            disclaimer={"checkboxes": [{"text": "OK"}]},
            completion={"url": "https://shop.example.com"},
        )
        rendered = content_object(create("meta_instant_forms", {"lead_form": form}))["lead_form"]
        assert rendered["disclaimer"] == {
            "title": None,
            "body": None,
            "checkboxes": [
                {"text": "OK", "key": None, "required": False, "checked_by_default": False}
            ],
        }
        assert rendered["completion"]["button_type"] == "website"
        option = rendered["questions"][3]["options"][2]
        assert option == {
            "value": "Just looking",
            "key": None,
            "logic": {
                "action": "close_form",
                "target_question_index": None,
                "target_end_page_index": None,
            },
        }

    def test_rendering_is_a_copy(self) -> None:
        ad = create("meta_website", valid_ad_body("meta_website"))
        content_object(ad)["creatives"][0]["id"] = "file_changed"
        content_object(ad)["url_parameters"]["x"] = "1"
        assert ad.creatives[0]["id"] == "file_heroImage00001"
        assert "x" not in ad.url_parameters


class TestPostSource:
    @pytest.mark.parametrize(
        ("platform", "post_id", "expected"),
        [
            ("meta", "1234567890_987654321", "facebook"),
            ("meta", "17895695668004550", "instagram"),
            ("meta", "abc_def", "instagram"),
            ("tiktok", "7301234567890123456", None),
            ("meta", None, None),
        ],
    )
    def test_inferred_from_the_id_shape(
        self, platform: str, post_id: str | None, expected: str | None
    ) -> None:
        assert infer_post_source(platform, post_id) == expected

    def test_inferred_when_omitted_and_kept_when_sent(self) -> None:
        body: dict[str, Any] = {"existing_post_id": "1234567890_987654321"}
        assert content_object(create("meta_website", body))["post_source"] == "facebook"
        body["post_source"] = "instagram"
        assert content_object(create("meta_website", body))["post_source"] == "instagram"
        body["post_source"] = None
        assert content_object(create("meta_website", body))["post_source"] == "facebook"

    def test_a_tiktok_post_has_no_source(self) -> None:
        body = {"existing_post_id": "7301234567890123456"}
        rendered = content_object(create("tiktok_website", body))
        assert rendered["existing_post_id"] == "7301234567890123456"
        assert rendered["post_source"] is None


class TestPatch:
    def created(self, kind: str = "meta_website") -> Ad:
        return create(kind, valid_ad_body(kind))

    def test_only_the_keys_sent_change(self) -> None:
        ad = self.created()
        before = content_object(ad)
        update(ad, "meta_website", {"title": "Summer sale", "headlines": [{"text": "New"}]})
        after = content_object(ad)
        assert after["title"] == "Summer sale"
        assert after["headlines"] == [{"text": "New", "language": None}]
        for key in set(CONTENT_KEYS) - {"title", "headlines"}:
            assert after[key] == before[key], key

    def test_an_empty_patch_changes_nothing(self) -> None:
        ad = self.created()
        before = content_object(ad)
        update(ad, "meta_website", {})
        assert content_object(ad) == before

    def test_status(self) -> None:
        ad = self.created()
        update(ad, "meta_website", {"status": "paused"})
        assert ad.status == "paused"
        update(ad, "meta_website", {"title": "x"})
        assert ad.status == "paused"

    def test_only_fields_named_in_sent_are_applied(self) -> None:
        # The service leaves `status` out of `sent` and runs it through the state machine.
        ad = self.created()
        ad.status = "rejected"
        parsed = validate_body(AdUpdate, {"status": "active", "title": "Fixed"})
        apply_fields(ad, parsed, parsed.model_fields_set - {"status"})
        assert ad.status == "rejected" and ad.title == "Fixed"

    def test_null_clears_a_nullable_field(self) -> None:
        ad = self.created()
        update(ad, "meta_website", {"title": None, "url": None, "call_to_action": None})
        rendered = content_object(ad)
        assert rendered["title"] is None and rendered["url"] is None
        assert rendered["call_to_action"] is None
        assert rendered["url_parameters"] == {"ref": "newsletter", "promo": "SPRING"}

    def test_null_restores_multi_advertiser_ads_default(self) -> None:
        ad = self.created()
        assert content_object(ad)["multi_advertiser_ads"] is False
        update(ad, "meta_website", {"multi_advertiser_ads": None})
        assert content_object(ad)["multi_advertiser_ads"] is True

    @pytest.mark.parametrize(
        "field",
        [
            "status",
            "url_parameters",
            "creatives",
            "primary_texts",
            "headlines",
            "descriptions",
            "external_accounts",
        ],
    )
    def test_null_on_a_field_without_null_is_refused(self, field: str) -> None:
        ad = self.created()
        before = content_object(ad)
        with pytest.raises(InvalidRequest) as caught:
            update(ad, "meta_website", {field: None})
        assert (caught.value.code, caught.value.param) == (INVALID, field)
        assert content_object(ad) == before

    def test_empty_lists_and_maps_clear(self) -> None:
        ad = self.created()
        update(ad, "meta_website", {"creatives": [], "url_parameters": {}, "descriptions": []})
        rendered = content_object(ad)
        assert rendered["creatives"] == [] and rendered["descriptions"] == []
        assert rendered["url_parameters"] == {}

    def test_ad_group_is_not_a_patch_field(self) -> None:
        for field, value in (("ad_group_id", "adgrp_x"), ("ad_group", {})):
            with pytest.raises(InvalidRequest) as caught:
                validate_body(AdUpdate, {field: value})
            assert (caught.value.code, caught.value.param) == (INVALID, field)

    def test_url_query_merges_over_the_stored_parameters(self) -> None:
        ad = self.created()
        update(ad, "meta_website", {"url": "https://shop.example.com/summer?promo=SUMMER&new=1"})
        assert ad.url == "https://shop.example.com/summer"
        assert ad.url_parameters == {"ref": "newsletter", "promo": "SUMMER", "new": "1"}

    def test_url_parameters_sent_replace_the_stored_ones(self) -> None:
        ad = self.created()
        update(ad, "meta_website", {"url_parameters": {"only": "this"}})
        assert ad.url == "https://shop.example.com/spring"
        assert ad.url_parameters == {"only": "this"}

    def test_sending_an_existing_post_switches_from_creatives(self) -> None:
        ad = self.created()
        ad.post_id = "111_222"
        ad.post_thumbnail_url = "https://cdn.example.com/thumb.jpg"
        update(ad, "meta_website", {"existing_post_id": "17895695668004550"})
        rendered = content_object(ad)
        assert rendered["creatives"] == []
        assert rendered["existing_post_id"] == "17895695668004550"
        assert rendered["post_source"] == "instagram"
        assert rendered["post_id"] is None and rendered["post_thumbnail_url"] is None

    def test_sending_creatives_switches_from_an_existing_post(self) -> None:
        ad = create("meta_website", {"existing_post_id": "1234567890_987654321"})
        update(ad, "meta_website", {"creatives": [{"id": "file_new"}]})
        rendered = content_object(ad)
        assert rendered["existing_post_id"] is None and rendered["post_source"] is None
        assert [creative["id"] for creative in rendered["creatives"]] == ["file_new"]

    def test_switching_a_tiktok_carousel_to_a_post_drops_its_music(self) -> None:
        ad = self.created("tiktok_website")
        update(ad, "tiktok_website", {"existing_post_id": "7301234567890123456"})
        assert ad.music is None and ad.creatives == []

    def test_unchanged_content_keeps_the_post_id(self) -> None:
        ad = self.created()
        ad.post_id = "111_222"
        update(ad, "meta_website", {"title": "Renamed"})
        assert ad.post_id == "111_222"

    def test_post_source_alone_applies_to_the_stored_post(self) -> None:
        ad = create("meta_website", {"existing_post_id": "1234567890_987654321"})
        update(ad, "meta_website", {"post_source": "instagram"})
        assert ad.post_source == "instagram"
        update(ad, "meta_website", {"post_source": None})
        assert ad.post_source == "facebook"

    def test_clearing_the_post_clears_its_source(self) -> None:
        ad = create("meta_website", {"existing_post_id": "1234567890_987654321"})
        update(ad, "meta_website", {"existing_post_id": None})
        assert ad.existing_post_id is None and ad.post_source is None

    def test_lead_form_id_replaces_a_stored_lead_form(self) -> None:
        ad = self.created("meta_instant_forms")
        update(ad, "meta_instant_forms", {"lead_form_id": "1234567890"})
        assert ad.lead_form is None and ad.lead_form_id == "1234567890"

    def test_a_new_lead_form_replaces_a_stored_lead_form_id(self) -> None:
        body = {"lead_form_id": "1234567890"}
        ad = create("meta_instant_forms", body)
        update(ad, "meta_instant_forms", {"lead_form": lead_form()})
        assert ad.lead_form_id is None and ad.lead_form is not None

    def test_null_lead_form_clears_it(self) -> None:
        ad = self.created("meta_instant_forms")
        update(ad, "meta_instant_forms", {"lead_form": None})
        assert content_object(ad)["lead_form"] is None

    def test_music_and_translations_null_turn_them_off(self) -> None:
        ad = self.created("tiktok_website")
        update(ad, "tiktok_website", {"music": None})
        assert content_object(ad)["music"] is None
        ad = create("meta_website", case_body("meta_website", translated()))
        update(
            ad,
            "meta_website",
            {
                "translations": None,
                "creatives": [{"id": "file_a"}],
                "primary_texts": [{"text": "Hi"}],
                "headlines": [{"text": "Hi"}],
                "descriptions": [],
            },
        )
        assert content_object(ad)["translations"] is None

    def test_rules_hold_on_the_merged_row(self) -> None:
        # Language tags stored under translations stay: turning translations off alone
        # leaves tagged entries behind, which an ad without translations refuses.
        ad = create("meta_website", case_body("meta_website", translated()))
        with pytest.raises(InvalidRequest) as caught:
            update(ad, "meta_website", {"translations": None})
        assert caught.value.param == "creatives[0].language"
        # A PATCH that adds music to a Meta ad is refused just like a create.
        ad = self.created("meta_website")
        with pytest.raises(InvalidRequest) as caught:
            update(ad, "meta_website", {"music": {"id": "file_track"}})
        assert caught.value.param == "music"
