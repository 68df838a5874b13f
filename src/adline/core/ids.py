"""Object ids: Whop's prefixes plus 14 random base62 characters drawn from `secrets`."""

import re
import secrets
import string

BASE62 = string.digits + string.ascii_letters
RANDOM_PART_LENGTH = 14


def random_base62(length: int) -> str:
    """`length` characters, each uniform over BASE62: one uniform number below 62**length
    (a single `secrets` draw, not one per character) written in base 62."""
    number = secrets.randbelow(62**length)
    characters = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        characters.append(BASE62[digit])
    return "".join(characters)


def new_id(prefix: str) -> str:
    """A new id such as `adcamp_3kT9xQw2LmPz8a`; `prefix` is given without the underscore."""
    return f"{prefix}_{random_base62(RANDOM_PART_LENGTH)}"


# A well-formed id: a lowercase prefix, an underscore, then base62 (prefixes may hold
# underscores of their own). Longer random parts than ours are allowed (ids made elsewhere),
# up to 64 characters in all.
MAX_ID_LENGTH = 64
_WELL_FORMED_ID = re.compile(r"[a-z]+(?:_[a-z]+)*_[0-9A-Za-z]+")


def is_well_formed_id(value: str) -> bool:
    """Could `value` be an id? Ids in paths and queries are checked with this before any
    query (docs/security.md); one that fails names no object."""
    return len(value) <= MAX_ID_LENGTH and _WELL_FORMED_ID.fullmatch(value) is not None
