"""A safety net for the logs: e-mail addresses and Japanese phone numbers are masked before a line is written.

Log calls are written not to carry buyers' personal data in the first place (names, addresses, phones,
e-mails; docs/security.md). This filter, installed on the ``console`` handler in ``settings.LOGGING``, catches
what slips through anyway — an exception text, an answer of an outside server that echoes an address.
"""

from __future__ import annotations

import logging
import re

#: Domains of addresses Juchu makes itself (Message-IDs), which identify no one and help when reading logs.
_OWN_DOMAINS = frozenset({"juchu.local"})

_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
# A number is a phone number when it stands alone (no letter, digit or hyphen glued to it, so that order
# numbers such as 123456-20261126-0000000001 and tracking numbers stay readable) and has the shape of a
# Japanese landline, mobile or +81 number.
_EDGE_BEFORE = r"(?<![0-9A-Za-z+.\-])"
_EDGE_AFTER = r"(?![0-9A-Za-z\-])"
_PHONE = re.compile(
    _EDGE_BEFORE
    + r"(?:"
    + r"(?:\+81[-\s]?|0)\d{1,4}[-\s]\d{1,4}[-\s]\d{3,4}"  # 03-1234-5678, 090 1234 5678, +81-3-1234-5678
    + r"|0\d{1,4}\(\d{1,4}\)\d{3,4}"  # 03(1234)5678
    + r"|0\d{9,10}"  # 0312345678, 09012345678
    + r"|\+81\d{9,10}"
    + r")"
    + _EDGE_AFTER
)
PHONE_MASK = "[電話番号]"


def mask_email(address: str) -> str:
    """``taro@example.jp`` → ``t***@example.jp``: enough to tell which mail it was, not whose."""
    local, _, domain = address.partition("@")
    if not domain or domain.lower() in _OWN_DOMAINS:
        return address
    return f"{local[:1]}***@{domain}"


def mask(text: str) -> str:
    """The text with every e-mail address and Japanese phone number masked."""
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    return _PHONE.sub(PHONE_MASK, text)


class PersonalDataFilter(logging.Filter):
    """Masks e-mail addresses and phone numbers in a record's message, exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed call is the formatter's to report; never lose the record here
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
