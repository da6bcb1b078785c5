"""Logs never carry buyers' personal data: not from the pipeline's own log calls, and not past the log filter.

The pipeline runs through its failure paths too (a mail server that refuses the buyer's address and echoes
it, a warehouse that refuses a request quoting the address, a mall that fails), at DEBUG level.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from juchu.logfilters import PHONE_MASK, PersonalDataFilter, mask
from juchu.mail.services import save_smtp
from juchu.orders import actions
from juchu.orders.models import Order
from juchu.runtime.sweeps import run_all
from tests.integration.conftest import Clock, mall_order
from tests.integration.smtp_server import Inbox, SmtpServer

BUYER = "高橋 一郎"
PHONE = "03-1234-5678"
REFUSED = "buyer-refused@example.jp"
#: Every personal value the orders carry (names and their parts, phones, e-mails, street addresses).
PERSONAL = [
    BUYER,
    "高橋",
    "一郎",
    PHONE,
    "0312345678",
    REFUSED,
    "buyer-ok@example.jp",
    "buyer-refused",
    "buyer-ok",
    "千代田区",
    "千代田1-1",
]


class RefusingInbox(Inbox):
    """An inbox whose server refuses one recipient at RCPT, quoting the address as real servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if address == REFUSED:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer("shop-user", "s3cret")
    server.inbox = server.controller.handler = RefusingInbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def unfiltered() -> Iterator[None]:
    """The safety-net filter taken off the handlers, so that the log calls themselves are what is tested."""
    removed = []
    for handler in logging.getLogger("juchu").handlers:
        for found in [f for f in handler.filters if isinstance(f, PersonalDataFilter)]:
            handler.removeFilter(found)
            removed.append((handler, found))
    yield
    for handler, found in removed:
        handler.addFilter(found)


def sweep(clock: Clock, **delta: float) -> None:
    run_all(clock.advance(**delta))


#: The test's own SMTP server (aiosmtpd) logs every line it receives: it stands for the outside world.
OUTSIDE = ("mail.log",)


def leaks(records: list[logging.LogRecord]) -> list[tuple[str, str]]:
    """(value, text) for each personal value in a record of this process (the test's mail server aside)."""
    found = []
    for record in records:
        if record.name.startswith(OUTSIDE):
            continue
        text = record.getMessage() + (record.exc_text or "")
        if record.exc_info and not record.exc_text:
            text += logging.Formatter().formatException(record.exc_info)
        found += [(value, text) for value in PERSONAL if value in text]
    return found


def test_the_pipeline_logs_no_buyer_data_even_on_its_failure_paths(
    world, fakes, clock, smtp, caplog, unfiltered
) -> None:
    mall, warehouse = fakes
    shop = world["shop"]
    shop.mail_from = "shop@example.jp"
    shop.save(update_fields=["mail_from"])
    save_smtp(
        shop, host="127.0.0.1", port=smtp.port, security="none", username="shop-user", password="s3cret", now=clock.now
    )
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="juchu")

    # given orders whose buyer's mail is refused, whose request the warehouse refuses quoting the address,
    # and one that an operator cancels — with the mall failing now and then
    def order(number: str, email: str, **fields):
        placed = mall_order(number, clock.now, buyer=BUYER, **fields)
        return placed.__class__(**{**{f: getattr(placed, f) for f in placed.__slots__}, "email": email})

    mall.put(order("951-1", REFUSED), clock.now)
    mall.put(order("951-2", "buyer-ok@example.jp", item="item-b"), clock.now)
    mall.put(order("951-3", "buyer-ok2@example.jp", item="item-c"), clock.now)
    warehouse.reject["951-2"] = ("ADDRESS", f"住所不備: 東京都千代田区千代田1-1 {BUYER} 様 {PHONE}")
    mall.fail_next = 1
    sweep(clock, seconds=1)
    sweep(clock, seconds=1)
    sweep(clock, minutes=31)
    cancelled = Order.objects.get(mall_order_number="951-3")
    actions.cancel_order(cancelled.pk, "op", clock.now, f"{BUYER}様より電話 {PHONE}")
    for _ in range(4):
        sweep(clock, seconds=5)
    for request in warehouse.accepted_requests():
        warehouse.ship(request.request_id)
    for _ in range(4):
        sweep(clock, seconds=5)

    # then the failure paths were taken and logged ...
    mail_lines = [r.getMessage() for r in caplog.records if r.name == "juchu.mail"]
    assert any("宛先を拒否されました (b***@example.jp: 550" in line for line in mail_lines), mail_lines
    # ... and no record names the buyer, their phone, e-mail or address
    assert leaks(caplog.records) == []


def test_the_configured_handler_masks_what_slips_through(db, caplog) -> None:
    # given the settings' logging (the filter is on the console handler of the juchu logger)
    handlers = logging.getLogger("juchu").handlers
    assert any(isinstance(f, PersonalDataFilter) for h in handlers for f in h.filters)
    caplog.set_level(logging.DEBUG, logger="juchu")
    log = logging.getLogger("juchu.anything")

    # when a log call carries an e-mail address and a phone number, in its message and in an exception
    try:
        raise ValueError(f"bad recipient taro.yamada@example.jp / {PHONE}")
    except ValueError:
        log.exception("sending to %s (tel %s) failed", "taro.yamada@example.jp", "090-1234-5678")

    # then what the handlers see is masked
    record = caplog.records[-1]
    assert record.getMessage() == f"sending to t***@example.jp (tel {PHONE_MASK}) failed"
    assert "taro.yamada" not in record.exc_text
    assert "1234-5678" not in record.exc_text
    assert "t***@example.jp" in record.exc_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to buyer@example.jp", "to b***@example.jp"),
        ("03-1234-5678", PHONE_MASK),
        ("携帯09012345678です", f"携帯{PHONE_MASK}です"),
        ("+81-90-1234-5678", PHONE_MASK),
        ("03(1234)5678", PHONE_MASK),
        # not personal: order numbers, tracking numbers, timings, dates and Juchu's own Message-IDs stay
        ("order 123456-20261126-0000000001", "order 123456-20261126-0000000001"),
        ("tracking 012345678901", "tracking 012345678901"),
        ("pass took 0.123s", "pass took 0.123s"),
        ("2026-11-26 10:00:00", "2026-11-26 10:00:00"),
        ("<17.thanks_mail.3@juchu.local>", "<17.thanks_mail.3@juchu.local>"),
    ],
)
def test_mask_hides_addresses_and_phone_numbers_only(text: str, masked: str) -> None:
    assert mask(text) == masked
