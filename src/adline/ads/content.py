"""An ad's content: request to row (`apply_fields`), the rules (`check_ad`), row to response
(`content_object`).

Content is stored as JSON in its API response shape, defaults filled, so rendering is a copy.
The rules run on the merged row (stored values plus the ones just sent), so a PATCH is held
to the same rules as a create. Every decision taken where the spec is silent is written
down in docs/ads.md.
"""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from adline.ad_groups.models import AdGroup
from adline.ads.models import Ad
from adline.ads.schemas import (
    NOT_NULL_FIELDS,
    AdFields,
    Creative,
    LeadForm,
    TextVariant,
)
from adline.campaigns.models import AdCampaign
from adline.core.errors import InvalidRequest, ParameterMissing

# Group conversion locations an instant lead form can serve (A.2 POST /ads, lead_form).
INSTANT_FORM_LOCATIONS = frozenset(
    {"instant_forms", "instant_forms_and_messenger", "website_and_instant_forms"}
)
# Group conversion locations that open a conversation, where a welcome message shows.
MESSAGING_LOCATIONS = frozenset({"messaging", "instant_forms_and_messenger"})
# Translations need a website destination; a group without a conversion_location links out.
TRANSLATION_LOCATIONS = frozenset({"website"})

# Whop's click-attribution parameters, per network (A.2 url_parameters); compared
# case-insensitively.
RESERVED_URL_PARAMETERS: dict[str, frozenset[str]] = {
    "meta": frozenset(
        {
            "utm_meta_ad_id",
            "utm_meta_adset_id",
            "utm_meta_campaign_id",
            "utm_source",
            "utm_placement",
            "utm_medium",
            "utm_content",
            "utm_adset",
            "utm_whop",
            "wacid",
            "wasid",
            "waid",
            "tw_source",
            "tw_adid",
        }
    ),
    "tiktok": frozenset(
        {
            "waid",
            "wasid",
            "wacid",
            "ad_id",
            "adset_id",
            "campaign_id",
            "utm_source",
            "utm_medium",
            "utm_placement",
            "utm_whop",
            "tw_source",
            "tw_adid",
        }
    ),
}
# A network the spec lists no set for (google) reserves the keys every network reserves.
COMMON_RESERVED_URL_PARAMETERS = frozenset.intersection(*RESERVED_URL_PARAMETERS.values())

MAX_CAROUSEL_CARDS = 10
MAX_EXTERNAL_ACCOUNTS = 2  # a Facebook page plus an optional Instagram profile
MIN_CHOICE_OPTIONS = 2

# Languages Meta translates the ad's own copy into automatically, by source language
# (whop-sdk 2.6.0, translations.automatic_languages).
_FROM_ENGLISH = "es fr de pt it ar nl ms sv id pl hi da tr fil ro"
_INTO_ENGLISH = "de ar he es ja no fr nl sv"
AUTOMATIC_TRANSLATIONS: dict[str, frozenset[str]] = {
    "en": frozenset(_FROM_ENGLISH.split()),
    **{source: frozenset({"en"}) for source in _INTO_ENGLISH.split()},
}

# A Facebook post id is `pageID_postID`; anything else promoted on Meta is Instagram media.
_FACEBOOK_POST_ID = re.compile(r"[0-9]+_[0-9]+")

# The content keys of the newest Ad response, in the order content_object renders them.
CONTENT_KEYS = (
    "title",
    "url",
    "url_parameters",
    "call_to_action",
    "creatives",
    "primary_texts",
    "headlines",
    "descriptions",
    "existing_post_id",
    "post_source",
    "post_id",
    "post_thumbnail_url",
    "external_accounts",
    "lead_form",
    "lead_form_id",
    "messaging_config",
    "multi_advertiser_ads",
    "music",
    "translations",
)

_TEXT_LISTS = ("primary_texts", "headlines", "descriptions")
# The completion button's destination field, per button_type.
_BUTTON_DESTINATIONS = {"website": "url", "call": "phone_number", "download": "file_url"}


def _invalid(param: str, why: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for {param}: {why}.", param=param)


def _missing(param: str, why: str) -> ParameterMissing:
    return ParameterMissing(f"Missing required parameter: {param} ({why}).", param=param)


# --- request to row -----------------------------------------------------------------------


def split_url(url: str) -> tuple[str, dict[str, Any]]:
    """`https://a.example/p?x=1&x=2#top` -> (`https://a.example/p#top`, {"x": ["1", "2"]}).

    The query string is decoded into parameters (a repeated name becomes a list, in order);
    the fragment stays on the URL.
    """
    parts = urlsplit(url)
    parameters: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if not name.strip():
            raise _invalid("url", "a query parameter has no name")
        if name not in parameters:
            parameters[name] = value
        elif isinstance(parameters[name], list):
            parameters[name].append(value)
        else:
            parameters[name] = [parameters[name], value]
    bare = urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment))
    return bare, parameters


def infer_post_source(platform: str, existing_post_id: str | None) -> str | None:
    """On Meta, `pageID_postID` is a Facebook post and any other id Instagram media.

    Posts promoted on other networks (a TikTok video) have no post_source.
    """
    if existing_post_id is None or platform != "meta":
        return None
    return "facebook" if _FACEBOOK_POST_ID.fullmatch(existing_post_id) else "instagram"


def _creative(creative: Creative) -> dict[str, Any]:
    crop = creative.crop
    return {
        "id": creative.id,
        "format": creative.format,
        "crop": (
            None
            if crop is None
            else {"x": crop.x, "y": crop.y, "width": crop.width, "height": crop.height}
        ),
        "language": creative.language,
        # Adline keeps no files yet: the kind of asset and its CDN URL are unknown.
        "media_type": None,
        "url": None,
    }


def _text(entry: TextVariant) -> dict[str, Any]:
    return {"text": entry.text, "language": entry.language}


def _lead_form(form: LeadForm, ad: Ad) -> dict[str, Any]:
    intro, policy, disclaimer, completion = (
        form.intro,
        form.privacy_policy,
        form.disclaimer,
        form.completion,
    )
    return {
        "name": form.name or f"Lead form for {ad.title or ad.id}",
        "form_type": form.form_type or "more_volume",
        "phone_verification": bool(form.phone_verification),
        "intro": (
            None
            if intro is None
            else {"headline": intro.headline, "description": intro.description}
        ),
        "privacy_policy": (
            None if policy is None else {"url": policy.url, "link_text": policy.link_text}
        ),
        "disclaimer": (
            None
            if disclaimer is None
            else {
                "title": disclaimer.title,
                "body": disclaimer.body,
                "checkboxes": [
                    {
                        "text": box.text,
                        "key": box.key,
                        "required": bool(box.required),
                        "checked_by_default": bool(box.checked_by_default),
                    }
                    for box in disclaimer.checkboxes or []
                ],
            }
        ),
        "completion": (
            None
            if completion is None
            else {
                "headline": completion.headline,
                "description": completion.description,
                "button_type": completion.button_type or "website",
                "button_text": completion.button_text,
                "url": completion.url,
                "phone_number": completion.phone_number,
                "file_url": completion.file_url,
            }
        ),
        "questions": [
            {
                "type": question.type,
                "label": question.label,
                "format": question.format,
                "options": (
                    None
                    if question.options is None
                    else [
                        {
                            "value": option.value,
                            "key": option.key,
                            "logic": (
                                None
                                if option.logic is None
                                else {
                                    "action": option.logic.action,
                                    "target_question_index": option.logic.target_question_index,
                                    "target_end_page_index": option.logic.target_end_page_index,
                                }
                            ),
                        }
                        for option in question.options
                    ]
                ),
            }
            for question in form.questions or []
        ],
    }


def _apply_url(ad: Ad, body: AdFields, sent: set[str]) -> None:
    """`url`'s query string moves into url_parameters; the stored URL is bare.

    url_parameters sent replaces the stored map. With url alone, its query is merged over the
    stored map; with both, the explicit url_parameters win over url's query on a clash.
    """
    if "url_parameters" in sent:
        parameters = dict(body.url_parameters or {})
    else:
        parameters = dict(ad.url_parameters or {})
    if "url" in sent:
        if body.url is None:
            ad.url = None
        else:
            ad.url, from_query = split_url(body.url)
            if "url_parameters" in sent:
                parameters = {**from_query, **parameters}
            else:
                parameters = {**parameters, **from_query}
    ad.url_parameters = parameters


def _apply_post_and_creatives(ad: Ad, body: AdFields, sent: set[str]) -> None:
    """Uploaded creatives or an existing post: sending one alone switches the ad to it.

    Both sent in one request, each non-empty, is refused by check_ad.
    """
    before = (ad.existing_post_id, ad.creatives or [])
    if "creatives" in sent:
        ad.creatives = [_creative(creative) for creative in body.creatives or []]
        if ad.creatives and "existing_post_id" not in sent:
            ad.existing_post_id = None
            ad.post_source = None
    if "existing_post_id" in sent:
        ad.existing_post_id = body.existing_post_id
        if body.existing_post_id is not None and "creatives" not in sent:
            ad.creatives = []
            if "music" not in sent:
                ad.music = None  # music plays on a carousel of creatives
    if "existing_post_id" in sent or "post_source" in sent:
        explicit = body.post_source if "post_source" in sent else None
        ad.post_source = explicit or infer_post_source(ad.platform, ad.existing_post_id)
    if (ad.existing_post_id, ad.creatives or []) != before:
        # The network makes (or names) a new post for new content; known once it has.
        ad.post_id = None
        ad.post_thumbnail_url = None


def apply_fields(ad: Ad, body: AdFields, sent: set[str]) -> None:
    """Write the fields sent into the row, in the API shape, with defaults filled.

    `ad.id`, `ad.platform` (the ad group's) and, on PATCH, the stored content must be set.
    Names in `sent` that are not content fields are ignored. Raises InvalidRequest for null
    on a field that has no null.
    """
    for field in NOT_NULL_FIELDS:
        if field in sent and getattr(body, field) is None:
            raise _invalid(field, "must not be null")
    if "title" in sent:
        ad.title = body.title
    if "status" in sent and body.status is not None:
        ad.status = body.status
    if "url" in sent or "url_parameters" in sent:
        _apply_url(ad, body, sent)
    if "call_to_action" in sent:
        ad.call_to_action = body.call_to_action
    _apply_post_and_creatives(ad, body, sent)
    for name in _TEXT_LISTS:
        if name in sent:
            setattr(ad, name, [_text(entry) for entry in getattr(body, name) or []])
    if "external_accounts" in sent:
        ad.external_accounts = [{"id": account.id} for account in body.external_accounts or []]
    if "lead_form" in sent:
        ad.lead_form = None if body.lead_form is None else _lead_form(body.lead_form, ad)
        if body.lead_form is not None and "lead_form_id" not in sent:
            ad.lead_form_id = None  # the new form gets its platform id once created
    if "lead_form_id" in sent:
        ad.lead_form_id = body.lead_form_id
        if body.lead_form_id is not None and "lead_form" not in sent:
            ad.lead_form = None  # an existing form replaces the stored one
    if "messaging_config" in sent:
        config = body.messaging_config
        ad.messaging_config = (
            None if config is None else {"message": config.message, "keyword": config.keyword}
        )
    if "multi_advertiser_ads" in sent:
        ad.multi_advertiser_ads = body.multi_advertiser_ads  # null: back to the default, true
    if "music" in sent:
        ad.music = None if body.music is None else {"id": body.music.id, "name": None, "url": None}
    if "translations" in sent:
        translations = body.translations
        ad.translations = (
            None
            if translations is None
            else {
                "source_language": translations.source_language,
                "automatic_languages": list(translations.automatic_languages or []),
            }
        )


# --- the rules ----------------------------------------------------------------------------


def _check_url_parameters(ad: Ad, platform: str) -> None:
    reserved = RESERVED_URL_PARAMETERS.get(platform, COMMON_RESERVED_URL_PARAMETERS)
    for name in ad.url_parameters or {}:
        if name.lower() in reserved:
            raise _invalid(
                f"url_parameters.{name}",
                f"{name} is one of Whop's click-attribution parameters on {platform}, added "
                "to every click; it may not be set (on url_parameters or url's query string)",
            )


def _check_post(ad: Ad, platform: str) -> None:
    if ad.existing_post_id is not None and ad.creatives:
        raise _invalid(
            "existing_post_id",
            "an ad promotes an existing post or shows uploaded creatives, not both",
        )
    if ad.post_source is not None:
        if ad.existing_post_id is None:
            raise _invalid("post_source", "it names the network of existing_post_id; send both")
        if platform != "meta":
            raise _invalid(
                "post_source", f"facebook and instagram posts run on meta; this ad is on {platform}"
            )


def _check_creatives(ad: Ad) -> None:
    """Cards and placement formats; an ad with translations follows its own rules instead."""
    if ad.translations is not None:
        return
    creatives = ad.creatives or []
    cards = [index for index, creative in enumerate(creatives) if creative["format"] is None]
    formatted = [index for index, creative in enumerate(creatives) if creative["format"]]
    if len(cards) > MAX_CAROUSEL_CARDS:
        raise _invalid(
            "creatives",
            f"entries without format are carousel cards; a carousel has at most "
            f"{MAX_CAROUSEL_CARDS} (got {len(cards)})",
        )
    if len(cards) > 1 and formatted:
        raise _invalid(
            f"creatives[{formatted[0]}].format",
            "placement formats are variants of a single asset; a carousel's cards "
            "(entries without format) take none",
        )
    seen: set[tuple[str, str | None]] = set()
    for index in formatted:
        key = (creatives[index]["format"], creatives[index]["language"])
        if key in seen:
            raise _invalid(f"creatives[{index}].format", f"{key[0]} is given twice")
        seen.add(key)


def _entries(ad: Ad) -> dict[str, list[dict[str, Any]]]:
    return {
        "creatives": ad.creatives or [],
        "primary_texts": ad.primary_texts or [],
        "headlines": ad.headlines or [],
        "descriptions": ad.descriptions or [],
    }


def _indexes(entries: list[dict[str, Any]], language: str) -> list[int]:
    return [index for index, entry in enumerate(entries) if entry["language"] == language]


def _check_translations(ad: Ad, group: AdGroup, platform: str) -> None:
    lists = _entries(ad)
    translations = ad.translations
    if translations is None:
        for name, entries in lists.items():
            for index, entry in enumerate(entries):
                if entry["language"] is not None:
                    raise _invalid(
                        f"{name}[{index}].language",
                        "entries name a language only on an ad with translations",
                    )
        return

    if platform != "meta":
        raise _invalid("translations", f"translations are Meta only; this ad is on {platform}")
    location = group.conversion_location
    if location is not None and location not in TRANSLATION_LOCATIONS:
        raise _invalid(
            "translations",
            f"translations need a website destination; the ad group's conversion_location is "
            f"{location}",
        )
    if group.dynamic_creative:
        raise _invalid("translations", "translations do not work with dynamic creative")
    if ad.existing_post_id is not None:
        raise _invalid(
            "translations", "translations need an uploaded image or video, not an existing post"
        )

    for name, entries in lists.items():
        for index, entry in enumerate(entries):
            if entry["language"] is None:
                raise _missing(
                    f"{name}[{index}].language",
                    "every entry of an ad with translations names its language",
                )
    for index, creative in enumerate(lists["creatives"]):
        if creative["format"] is not None:
            raise _invalid(
                f"creatives[{index}].format",
                "an ad with translations shows one image or video per language, without "
                "placement formats",
            )
        if creative["crop"] is not None:
            raise _invalid(f"creatives[{index}].crop", "an ad with translations takes no crops")

    source = translations["source_language"]
    own_creatives = _indexes(lists["creatives"], source)
    if not own_creatives:
        raise _missing("creatives", f"one image or video in source_language {source}")
    if len(own_creatives) > 1:
        raise _invalid(
            "creatives",
            f"an ad with translations shows one image or video in {source}, not a carousel",
        )
    for name in ("primary_texts", "headlines"):
        own = _indexes(lists[name], source)
        if not own:
            raise _missing(name, f"one entry in source_language {source}")
        if len(own) > 1:
            raise _invalid(
                f"{name}[{own[1]}].language",
                f"an ad with translations has exactly one {name} entry per language",
            )
    own_descriptions = _indexes(lists["descriptions"], source)
    if len(own_descriptions) > 1:
        raise _invalid(
            f"descriptions[{own_descriptions[1]}].language",
            "an ad with translations has at most one descriptions entry per language",
        )

    others: list[str] = []
    for entries in lists.values():
        for entry in entries:
            if entry["language"] != source and entry["language"] not in others:
                others.append(entry["language"])
    for language in others:
        for name in _TEXT_LISTS[:2]:
            indexes = _indexes(lists[name], language)
            if not indexes:
                raise _missing(name, f"an entry in {language}, a language this ad is shown in")
            if len(indexes) > 1:
                raise _invalid(
                    f"{name}[{indexes[1]}].language", f"{language} is given twice in {name}"
                )
        for name in ("descriptions", "creatives"):
            indexes = _indexes(lists[name], language)
            if len(indexes) > 1:
                raise _invalid(
                    f"{name}[{indexes[1]}].language", f"{language} is given twice in {name}"
                )

    automatic: list[str] = translations["automatic_languages"]
    allowed = AUTOMATIC_TRANSLATIONS.get(source, frozenset())
    for index, language in enumerate(automatic):
        param = f"translations.automatic_languages[{index}]"
        if language == source:
            raise _invalid(param, f"{language} is the source language")
        if language in automatic[:index]:
            raise _invalid(param, f"{language} is listed twice")
        if language in others:
            raise _invalid(
                param,
                f"{language} has entries of its own; a language is translated by your entries "
                "or automatically, not both",
            )
        if language not in allowed:
            offered = ", ".join(sorted(allowed)) or "none"
            raise _invalid(
                param,
                f"Meta does not translate {source} copy into {language} automatically "
                f"(offered for {source}: {offered})",
            )
    if not others and not automatic:
        raise _invalid(
            "translations",
            "name at least one other language: entries tagged with it, or automatic_languages",
        )


def _check_external_accounts(ad: Ad) -> None:
    accounts = ad.external_accounts or []
    if len(accounts) > MAX_EXTERNAL_ACCOUNTS:
        raise _invalid(
            "external_accounts",
            "an ad runs under at most two accounts: a Facebook page and an Instagram profile",
        )
    for index, account in enumerate(accounts):
        if any(other["id"] == account["id"] for other in accounts[:index]):
            raise _invalid(f"external_accounts[{index}].id", f"{account['id']} is listed twice")


def _check_logic(logic: dict[str, Any], param: str, position: int, count: int) -> None:
    action = logic["action"]
    question = logic["target_question_index"]
    end_page = logic["target_end_page_index"]
    if action == "go_to_question":
        if question is None:
            raise _missing(f"{param}.target_question_index", "go_to_question jumps to a question")
        if end_page is not None:
            raise _invalid(
                f"{param}.target_end_page_index", "go_to_question jumps to a question, not an end"
            )
        if question >= count:
            raise _invalid(
                f"{param}.target_question_index",
                f"the form has {count} question(s): indexes 0 to {count - 1}",
            )
        if question <= position:
            raise _invalid(
                f"{param}.target_question_index",
                f"must point to a question after this one (index {position}); jumping back "
                "would loop",
            )
        return
    if question is not None:
        raise _invalid(f"{param}.target_question_index", f"{action} does not go to a question")
    if end_page is not None:
        if action == "close_form":
            raise _invalid(f"{param}.target_end_page_index", "close_form shows no ending screen")
        if end_page != 0:
            raise _invalid(
                f"{param}.target_end_page_index",
                "the form has one ending screen (its completion): index 0",
            )


def _check_question(question: dict[str, Any], param: str, position: int, count: int) -> None:
    if question["type"] == "custom":
        if question["label"] is None:
            raise _missing(f"{param}.label", "a custom question needs its text")
        if question["format"] is None:
            raise _missing(f"{param}.format", "a custom question needs its answer format")
    else:
        for field in ("label", "format"):
            if question[field] is not None:
                raise _invalid(
                    f"{param}.{field}",
                    f"only custom questions take a {field}; {question['type']} is a standard "
                    "prefilled question",
                )
    options = question["options"] or []
    if question["format"] != "multiple_choice":
        if options:
            raise _invalid(f"{param}.options", "only multiple_choice questions take options")
        return
    if not options:
        raise _missing(f"{param}.options", "a multiple_choice question offers choices")
    if len(options) < MIN_CHOICE_OPTIONS:
        raise _invalid(f"{param}.options", "a multiple_choice question offers at least 2 choices")
    for index, option in enumerate(options):
        option_param = f"{param}.options[{index}]"
        earlier = options[:index]
        if any(other["value"] == option["value"] for other in earlier):
            raise _invalid(f"{option_param}.value", f"{option['value']!r} is offered twice")
        if option["key"] is not None and any(other["key"] == option["key"] for other in earlier):
            raise _invalid(f"{option_param}.key", f"{option['key']!r} is used twice")
        if option["logic"] is not None:
            _check_logic(option["logic"], f"{option_param}.logic", position, count)


def _check_lead_form(form: dict[str, Any]) -> None:
    questions: list[dict[str, Any]] = form["questions"]
    if not questions:
        raise _missing("lead_form.questions", "a lead form asks at least one question")
    for index, question in enumerate(questions):
        param = f"lead_form.questions[{index}]"
        if question["type"] != "custom" and any(
            other["type"] == question["type"] for other in questions[:index]
        ):
            raise _invalid(f"{param}.type", f"{question['type']} is asked twice")
        _check_question(question, param, index, len(questions))
    if form["phone_verification"]:
        if form["form_type"] != "higher_intent":
            raise _invalid(
                "lead_form.phone_verification", "SMS verification is for higher_intent forms"
            )
        if not any(question["type"] == "phone" for question in questions):
            raise _invalid(
                "lead_form.phone_verification", "the form asks no phone question to verify"
            )
    disclaimer = form["disclaimer"]
    if disclaimer is not None:
        boxes = disclaimer["checkboxes"]
        for index, box in enumerate(boxes):
            if box["key"] is not None and any(
                other["key"] == box["key"] for other in boxes[:index]
            ):
                raise _invalid(
                    f"lead_form.disclaimer.checkboxes[{index}].key",
                    f"{box['key']!r} is used twice",
                )
    completion = form["completion"]
    if completion is not None:
        button = completion["button_type"]
        needed = _BUTTON_DESTINATIONS[button]
        if completion[needed] is None:
            raise _missing(
                f"lead_form.completion.{needed}", f"a {button} button (button_type) goes there"
            )
        for other_button, field in _BUTTON_DESTINATIONS.items():
            if field != needed and completion[field] is not None:
                raise _invalid(
                    f"lead_form.completion.{field}",
                    f"only a {other_button} button uses it; button_type is {button}",
                )


def _check_destinations(ad: Ad, group: AdGroup) -> None:
    location = group.conversion_location
    for field in ("lead_form", "lead_form_id"):
        if getattr(ad, field) is not None and location not in INSTANT_FORM_LOCATIONS:
            raise _invalid(
                field,
                "an instant form needs an ad group whose conversion_location is "
                f"instant_forms, instant_forms_and_messenger or website_and_instant_forms "
                f"(it is {location})",
            )
    if ad.lead_form is not None:
        _check_lead_form(ad.lead_form)
    config = ad.messaging_config
    if config is not None:
        if config["message"] is None and config["keyword"] is None:
            raise _missing("messaging_config.message", "send message, keyword or both")
        if location not in MESSAGING_LOCATIONS:
            raise _invalid(
                "messaging_config",
                "a welcome message needs an ad group whose conversion_location opens a "
                f"conversation (messaging or instant_forms_and_messenger; it is {location})",
            )


def _check_music(ad: Ad, platform: str) -> None:
    if ad.music is None:
        return
    if platform != "tiktok":
        raise _invalid("music", f"music is TikTok only; this ad is on {platform}")
    if not any(creative["format"] is None for creative in ad.creatives or []):
        raise _invalid(
            "music", "music plays on a TikTok carousel: send creatives without format (its cards)"
        )


def check_ad(ad: Ad, group: AdGroup, campaign: AdCampaign) -> None:
    """The content rules, on the merged row. The first broken rule raises (400, exact param).

    The network is the ad group's. `campaign` is taken for rules on the campaign; no
    content rule depends on it today.
    """
    platform = group.platform
    _check_url_parameters(ad, platform)
    _check_post(ad, platform)
    _check_creatives(ad)
    _check_translations(ad, group, platform)
    _check_external_accounts(ad)
    _check_destinations(ad, group)
    _check_music(ad, platform)


# --- row to response ----------------------------------------------------------------------


def content_object(ad: Ad) -> dict[str, Any]:
    """The content keys of the newest Ad response (CONTENT_KEYS), every key present."""
    return {
        "title": ad.title,
        "url": ad.url,
        "url_parameters": copy.deepcopy(ad.url_parameters or {}),
        "call_to_action": ad.call_to_action,
        "creatives": copy.deepcopy(ad.creatives or []),
        "primary_texts": copy.deepcopy(ad.primary_texts or []),
        "headlines": copy.deepcopy(ad.headlines or []),
        "descriptions": copy.deepcopy(ad.descriptions or []),
        "existing_post_id": ad.existing_post_id,
        "post_source": ad.post_source,
        "post_id": ad.post_id,
        "post_thumbnail_url": ad.post_thumbnail_url,
        "external_accounts": copy.deepcopy(ad.external_accounts or []),
        "lead_form": copy.deepcopy(ad.lead_form),
        "lead_form_id": ad.lead_form_id,
        "messaging_config": copy.deepcopy(ad.messaging_config),
        "multi_advertiser_ads": True
        if ad.multi_advertiser_ads is None
        else ad.multi_advertiser_ads,
        "music": copy.deepcopy(ad.music),
        "translations": copy.deepcopy(ad.translations),
    }
