"""The simulated network's catalogue of pages and profiles: what it answers about a
company's external accounts, their posts and lead forms, and partner creators.

Everything is a pure function of its inputs (the company's id and current name, the
account's platform and network id, a creator's username): the same question answers the
same, in every process, with no state (docs/connections.md#the-simulated-network).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from urllib.parse import quote

# Where the simulated network's media live: `.invalid` is reserved (RFC 2606), so no real
# host is ever named.
MEDIA_HOST = "https://media.simulated-network.invalid"
# A creator invited to partnership ads answers this long after the invitation; a refresh
# after that finds the invitation approved.
APPROVAL_DELAY = timedelta(hours=1)
POSTS_PER_ACCOUNT = 6
Origin = Literal["connected", "managed"]
INSTAGRAM_USERNAME = re.compile(r"[A-Za-z0-9._]{1,30}")


@dataclass(frozen=True)
class Profile:
    external_id: str
    name: str
    username: str
    url: str
    profile_picture_url: str
    verified: bool


def digits(*parts: str, length: int = 15) -> str:
    """A network-style numeric id of `length` digits (no leading zero), derived from
    `parts`."""
    number = int(hashlib.sha256(":".join(parts).encode()).hexdigest(), 16)
    low = 10 ** (length - 1)
    return str(low + number % (9 * low))


def _slug(name: str, separator: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    return separator.join(words)[:24] or "account"


def _picture(platform: str, external_id: str) -> str:
    return f"{MEDIA_HOST}/{platform}/{external_id}/picture.jpg"


def own_profile(company_id: str, company_name: str, platform: str, origin: Origin) -> Profile:
    """The company's page or profile on a platform: connected by the company (`connect`)
    or made for it (`create`, a managed one). Names follow the company's current name."""
    if platform == "facebook":
        external_id = digits(company_id, platform, origin)
        username = _slug(company_name, ".") + (".ads" if origin == "managed" else "")
        return Profile(
            external_id,
            company_name,
            username,
            f"https://www.facebook.com/{external_id}",
            _picture(platform, external_id),
            False,
        )
    if platform == "instagram":
        external_id = digits(company_id, platform, origin, length=17)
        username = _slug(company_name, "_")
        return Profile(
            external_id,
            company_name,
            username,
            f"https://www.instagram.com/{username}/",
            _picture(platform, external_id),
            False,
        )
    external_id = digits(company_id, platform, origin, length=19)
    username = _slug(company_name, "") + ("ads" if origin == "managed" else "")
    return Profile(
        external_id,
        company_name,
        username,
        f"https://www.tiktok.com/@{username}",
        _picture(platform, external_id),
        False,
    )


def partner_profile(username: str) -> Profile:
    """An Instagram creator, by username (already without `@`)."""
    external_id = digits("instagram-creator", username.lower(), length=17)
    name = " ".join(part.capitalize() for part in re.split(r"[._]+", username) if part)
    return Profile(
        external_id,
        name or username,
        username.lower(),
        f"https://www.instagram.com/{username.lower()}/",
        _picture("instagram", external_id),
        False,
    )


_CTAS = ("shop_now", "learn_more", None)
_RESTRICTIONS: dict[str, dict[int, list[str]]] = {
    "facebook": {4: ["lead_form_ineligible"]},
    "instagram": {3: ["copyrighted_music"], 5: ["promotion_ineligible"]},
    "tiktok": {2: ["copyrighted_music"]},
}


def posts(platform: str, external_id: str, name: str | None) -> list[dict[str, Any]]:
    """The account's existing posts, newest first, in the `ExternalAccountPost` shape:
    alternately images and videos on Facebook and Instagram; videos only on TikTok."""
    found = []
    for index in range(POSTS_PER_ACCOUNT):
        video = platform == "tiktok" or index % 2 == 1
        caption = f"{name or 'Our'} post {POSTS_PER_ACCOUNT - index}"
        restrictions = _RESTRICTIONS[platform].get(index, [])
        if platform == "facebook":
            post_id = f"{external_id}_{digits(external_id, 'post', str(index), length=16)}"
            cta = _CTAS[index % len(_CTAS)]
            permalink = f"https://www.facebook.com/{external_id}/posts/{post_id.split('_')[1]}"
            found.append(
                {
                    "id": post_id,
                    "caption": caption,
                    "call_to_action": cta,
                    "destination_url": None if cta is None else "https://shop.example.com/",
                    "media_url": f"{MEDIA_HOST}/facebook/{post_id}." + ("mp4" if video else "jpg"),
                    "thumbnail_url": f"{MEDIA_HOST}/facebook/{post_id}-poster.jpg"
                    if video
                    else None,
                    "embed_url": "https://www.facebook.com/plugins/post.php?href="
                    + quote(permalink, safe=""),
                    "video_id": digits(external_id, "video", str(index), length=16)
                    if video
                    else None,
                    "restrictions": restrictions,
                }
            )
        elif platform == "instagram":
            post_id = digits(external_id, "media", str(index), length=17)
            found.append(
                {
                    "id": post_id,
                    "caption": caption,
                    "call_to_action": None,
                    "destination_url": None,
                    "media_url": f"{MEDIA_HOST}/instagram/{post_id}." + ("mp4" if video else "jpg"),
                    "thumbnail_url": f"{MEDIA_HOST}/instagram/{post_id}-poster.jpg"
                    if video
                    else None,
                    "embed_url": f"https://www.instagram.com/p/{post_id}/embed",
                    "video_id": post_id if video else None,
                    "restrictions": restrictions,
                }
            )
        else:
            post_id = digits(external_id, "video", str(index), length=19)
            found.append(
                {
                    "id": post_id,
                    "caption": caption,
                    "call_to_action": None,
                    "destination_url": None,
                    "media_url": None,
                    "thumbnail_url": f"{MEDIA_HOST}/tiktok/{post_id}-poster.jpg",
                    "embed_url": f"https://www.tiktok.com/embed/v2/{post_id}",
                    "video_id": post_id,
                    "restrictions": restrictions,
                }
            )
    return found


def _question(kind: str, label: str | None = None, format: str | None = None) -> dict[str, Any]:
    return {"type": kind, "label": label, "format": format, "options": None}


def lead_forms(page_id: str, name: str | None, created_at: str) -> list[dict[str, Any]]:
    """A Facebook page's active lead forms, in the `ExternalAccountLeadForm` shape."""
    owner = name or "Us"
    return [
        {
            "id": digits(page_id, "lead_form", "0", length=16),
            "name": f"{owner} newsletter",
            "form_type": "more_volume",
            "locale": "en_US",
            "created_at": created_at,
            "intro": {"headline": f"Hear from {owner}", "description": "News, once a week."},
            "questions": [_question("email"), _question("full_name")],
            "question_labels": ["Email", "Full name"],
            "privacy_policy_url": "https://shop.example.com/privacy",
            "privacy_policy_link_text": None,
            "disclaimer": None,
            "completion": {
                "headline": "Thanks!",
                "description": "You're on the list.",
                "button_type": "website",
                "button_text": "Visit the shop",
                "url": "https://shop.example.com/",
                "phone_number": None,
                "file_url": None,
            },
        },
        {
            "id": digits(page_id, "lead_form", "1", length=16),
            "name": f"{owner} consultation",
            "form_type": "higher_intent",
            "locale": "en_US",
            "created_at": created_at,
            "intro": None,
            "questions": [
                _question("full_name"),
                _question("phone"),
                _question("custom", "What would you like help with?", "short_answer"),
            ],
            "question_labels": ["Full name", "Phone number", "What would you like help with?"],
            "privacy_policy_url": "https://shop.example.com/privacy",
            "privacy_policy_link_text": "Our privacy policy",
            "disclaimer": None,
            "completion": None,
        },
    ]
