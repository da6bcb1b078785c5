"""The pure core: statuses, decisions, tag rules, allocation and calendars.

Nothing here imports Django or any other ``juchu`` package, reads a clock or does I/O. Apart from the
standard library it uses only ``jaconv`` and ``jpholiday``, two pure data/function libraries (see
docs/decisions/0001-domain-dependencies.md).
"""
