"""Object ids: Whop's prefixes plus 14 random base62 characters drawn from `secrets`."""

import secrets
import string

BASE62 = string.digits + string.ascii_letters
RANDOM_PART_LENGTH = 14


def random_base62(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_id(prefix: str) -> str:
    """A new id such as `adcamp_3kT9xQw2LmPz8a`; `prefix` is given without the underscore."""
    return f"{prefix}_{random_base62(RANDOM_PART_LENGTH)}"
