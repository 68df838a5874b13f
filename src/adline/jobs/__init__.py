"""Background jobs: an outbox table, workers claiming under leases, fenced outcomes,
retries, and periodic slots (docs/jobs.md)."""
