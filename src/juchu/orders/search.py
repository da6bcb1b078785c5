"""Free-text search over orders (受注番号, 購入者名, 電話番号, メールアドレス) by indexed prefix terms.

``LIKE '%…%'`` over a million orders reads every row; instead each order keeps a few normalised terms
(its number and the pieces of it, names and their parts in katakana, phone digits, e-mail) in an indexed
table, and a search is a prefix range over that index on SQLite and PostgreSQL alike (decision 0005).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime

import jaconv
from django.db.models import Q, QuerySet

from juchu.orders import writes
from juchu.orders.models import Order, OrderSearchTerm, Package

#: What the purge of personal data leaves in a field (orders/purge.py); never a search term.
PURGED = "（削除済み）"
#: The longest term kept; longer values are cut (a prefix of them still matches).
TERM_LENGTH = 100
_SPACES = re.compile(r"\s+")
_NOT_DIGITS = re.compile(r"\D")


def normalise(text: str) -> str:
    """NFKC, lower case, hiragana as katakana, no surrounding spaces: how terms and queries compare."""
    return jaconv.hira2kata(unicodedata.normalize("NFKC", text).strip().lower())


def terms_for(number: str, names: Iterable[str], phones: Iterable[str], emails: Iterable[str]) -> set[str]:
    """The search terms of one order."""
    terms: set[str] = set()
    number = normalise(number)
    if number:
        terms.add(number)
        terms.update(part for part in re.split(r"[-_/ ]", number) if len(part) >= 2)
    for name in names:
        text = normalise(name)
        if not text or name == PURGED:
            continue
        terms.add(_SPACES.sub("", text))
        terms.update(_SPACES.split(text))
    for phone in phones:
        digits = _NOT_DIGITS.sub("", unicodedata.normalize("NFKC", phone))
        if len(digits) >= 4:
            terms.add(digits)
    for email in emails:
        text = normalise(email)
        if text and email != PURGED:
            terms.add(text)
            terms.add(text.split("@", 1)[0])
    return {t[:TERM_LENGTH] for t in terms if t}


def reindex(order_ids: Sequence[int]) -> None:
    """Rewrite the search terms of these orders from their current data (inside the caller's transaction)."""
    if not order_ids:
        return
    ids = list(order_ids)
    found: dict[int, dict[str, list[str]]] = {}
    dates: dict[int, datetime] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for pk, number, name, kana, phone, email, ordered_at in Order.objects.filter(id__in=chunk).values_list(
            "id", "mall_order_number", "buyer_name", "buyer_kana", "phone", "email", "ordered_at"
        ):
            found[pk] = {"number": [number], "names": [name, kana], "phones": [phone], "emails": [email]}
            dates[pk] = ordered_at
        for order_id, rname, rkana, rphone in Package.objects.filter(order_id__in=chunk).values_list(
            "order_id", "recipient_name", "recipient_kana", "phone"
        ):
            if order_id in found:
                found[order_id]["names"] += [rname, rkana]
                found[order_id]["phones"].append(rphone)
        OrderSearchTerm.objects.filter(order_id__in=chunk).delete()
    writes.insert_rows(
        OrderSearchTerm,
        ("order_id", "term", "ordered_at"),
        (
            (pk, term, dates[pk])
            for pk, data in found.items()
            for term in sorted(terms_for(data["number"][0], data["names"], data["phones"], data["emails"]))
        ),
    )


def query_terms(text: str) -> list[str]:
    """The prefixes a search text is looked up by (its normalised form, and its digits for a phone number)."""
    text = normalise(text)
    if not text:
        return []
    prefixes = {_SPACES.sub("", text)[:TERM_LENGTH]}
    digits = _NOT_DIGITS.sub("", text)
    if digits and len(digits) >= 4 and re.fullmatch(r"[\d\-() +]+", text):
        prefixes.add(digits)
    return sorted(prefixes)


def matching_terms(text: str) -> QuerySet[OrderSearchTerm]:
    """The term rows that start with the search text (a prefix range over the term index)."""
    condition = Q()
    for prefix in query_terms(text):
        condition |= Q(term__gte=prefix, term__lt=prefix + "\U0010ffff")
    if not condition:
        return OrderSearchTerm.objects.none()
    return OrderSearchTerm.objects.filter(condition)


def matching(text: str) -> QuerySet[OrderSearchTerm]:
    """Order ids whose terms start with the search text."""
    return matching_terms(text).values("order_id")
