"""Delivery stats: what networks report per ad and hour, and the totals read from it."""
