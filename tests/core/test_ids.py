from __future__ import annotations

import re

from adline.core.ids import new_id


def test_ids_have_the_prefix_and_14_base62_characters() -> None:
    ids = {new_id("adcamp") for _ in range(2000)}
    assert len(ids) == 2000
    for value in ids:
        assert re.fullmatch(r"adcamp_[0-9A-Za-z]{14}", value)
