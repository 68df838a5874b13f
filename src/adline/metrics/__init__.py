"""Delivery metrics: the formulas and null/zero rules of spec section I, in one module."""
