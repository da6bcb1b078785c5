"""Juchu (受注): an order management system for shops on Japanese marketplaces."""

__version__ = "0.1.0"
