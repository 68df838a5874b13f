"""Review: ads are rejected at the configured rate, with seed-001 categories, and rejected
ads never deliver."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from adline.delivery.adapter import AdSpec, CreativeSummary
from adline.delivery.model import ISSUE_CATALOGUE
from tests.delivery.builders import launch, network, run, settle

CATEGORIES = {"policy_rejection", "creative_media", "audience_targeting", "ad_volume_limit"}


class TestRejections:
    async def test_rejection_rate_over_many_ads(self) -> None:
        ads, rate = 600, 0.2
        sim = network(13, rejection_rate=rate)
        await launch(sim, ads=0)
        for index in range(ads):
            spec = AdSpec(f"ad{index}", "c1_g", "active", CreativeSummary("image"))
            await sim.upsert_ad(spec, idempotency_key=spec.id)
        run(sim, 1)
        outcomes = await sim.pull_review_outcomes()
        assert len(outcomes) == ads
        rejected = [outcome for outcome in outcomes if outcome.status == "rejected"]
        # Binomial(600, 0.2): mean 120, sd ~9.8; four sd either way.
        assert 80 < len(rejected) < 160
        categories = Counter(outcome.issue.category for outcome in rejected if outcome.issue)
        assert set(categories) == CATEGORIES
        assert categories.most_common(1)[0][0] == "policy_rejection"
        for outcome in rejected:
            assert outcome.issue is not None
            assert outcome.issue.title and outcome.issue.message and outcome.issue.subtype
        assert all(outcome.issue is None for outcome in outcomes if outcome.status == "approved")

        run(sim, 24)
        delivered = {row.ad_id for row in await settle(sim)}
        assert delivered.isdisjoint({outcome.ad_id for outcome in rejected})
        assert len(delivered) > 0.9 * (ads - len(rejected))

    async def test_a_rejected_ad_edited_is_reviewed_again(self) -> None:
        sim = network(2, rejection_rate=1.0)
        _, _, [ad] = await launch(sim)
        run(sim, 1)
        [outcome] = await sim.pull_review_outcomes()
        assert outcome.status == "rejected"
        sim.rejection_rate = 0.0
        fixed = replace(ad, creative=replace(ad.creative, headline="Compliant"))
        await sim.upsert_ad(fixed, idempotency_key="fix")
        run(sim, 3)
        [outcome] = await sim.pull_review_outcomes()
        assert outcome.status == "approved" and outcome.issue is None
        rows = await settle(sim)
        assert rows and min(row.hour_start for row in rows) >= outcome.decided_at.replace(
            minute=0, second=0, microsecond=0
        )

    async def test_no_rejections_by_default(self) -> None:
        sim = network()
        await launch(sim, ads=50)
        run(sim, 1)
        assert {outcome.status for outcome in await sim.pull_review_outcomes()} == {"approved"}

    def test_catalogue_uses_the_seed_001_categories(self) -> None:
        assert {category for category, _, _ in ISSUE_CATALOGUE} == CATEGORIES
