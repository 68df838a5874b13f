"""Clients and adapters of the real ad networks (Meta, TikTok), and what they share."""
