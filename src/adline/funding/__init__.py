"""Funding: the double-entry ledger, campaign credits, checkout top-ups and saved payment
methods (docs/funding.md)."""
