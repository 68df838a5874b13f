"""Webhooks: endpoints that receive signed event notifications (docs/webhooks.md)."""
