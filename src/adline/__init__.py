"""Adline: a self-hosted ads-management API server compatible with Whop's Ads API."""

__version__ = "0.1.0"
