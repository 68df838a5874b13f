"""Liveness endpoint, outside the versioned API."""
