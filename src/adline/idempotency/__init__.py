"""`Idempotency-Key` on POST: a retried request answers what its first attempt answered
(docs/api.md#idempotent-requests)."""
