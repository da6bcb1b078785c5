"""Fixtures for the end-to-end tests: the browser page of the UI tests."""

from tests.e2e.browser import browser_page

__all__ = ["browser_page"]
