"""Errors the domain raises; each says what went wrong in words an operator can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every domain error."""


class IllegalTransition(DomainError):
    """A status move that the transition table does not allow."""

    def __init__(self, source: str, target: str) -> None:
        super().__init__(f"illegal status move {source} -> {target}")
        self.source = source
        self.target = target


class StaleOrder(DomainError):
    """The order changed since it was read; the move was not applied."""

    def __init__(self, order_id: int, expected_version: int) -> None:
        super().__init__(f"order {order_id} changed since version {expected_version}; move not applied")
        self.order_id = order_id
        self.expected_version = expected_version


class RuleError(DomainError):
    """A custom-tag rule that cannot be evaluated (unknown field, bad operator or value)."""
