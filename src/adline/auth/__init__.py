"""API keys (`apik_`), their permission scopes, and request authentication."""
