"""Saved audiences: customer lists of hashed identifiers that ad groups include or exclude."""
