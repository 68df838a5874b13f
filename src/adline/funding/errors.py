"""Funding's own errors, in the one envelope (adline.core.errors)."""

from __future__ import annotations

from adline.core.errors import Conflict


class CheckoutExpired(Conflict):
    """409: the checkout's lifetime is over; it can no longer be paid (start another)."""

    code = "checkout_expired"


class RefundFailed(Conflict):
    """409: the payment processor refused the refund; nothing was written."""

    code = "refund_failed"


class ReferenceReused(Conflict):
    """409: an operator's reference already names another refund or correction."""

    code = "reference_reused"
