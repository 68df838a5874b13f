"""Conversion events (`POST /conversions`, `POST /events`), ad clicks and click attribution."""
