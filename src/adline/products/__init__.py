"""Products (`prod_`): what a campaign promotes (seeds 002 and 003, docs/products.md)."""
