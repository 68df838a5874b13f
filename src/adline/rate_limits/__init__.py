"""Token buckets per API key and per client address (docs/api.md#rate-limits)."""
