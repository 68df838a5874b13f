"""Shared plumbing that knows no domain: ids, money, clock, errors, pagination, db, versioning."""
