"""The security headers every response carries (docs/security.md)."""

from __future__ import annotations

# Set on every response that does not set its own value (the docs pages and their assets
# set their own Cache-Control and Content-Security-Policy).
SECURITY_HEADERS: dict[str, str] = {
    # API answers are per caller and may carry secrets (a new key's secret_key): no cache,
    # shared or private, keeps a copy.
    "Cache-Control": "no-store",
    # Answers are what their Content-Type says, never sniffed into HTML or script.
    "X-Content-Type-Options": "nosniff",
    # A JSON answer loads nothing and may not be framed; nor may any page.
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    # Links followed from the docs pages send no URL along.
    "Referrer-Policy": "no-referrer",
}
