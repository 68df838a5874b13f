"""Spend caps: budgets shared by several campaigns, hard-enforced (seed 004, docs/spend-caps.md)."""
