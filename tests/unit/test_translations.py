"""The English catalogue: the compiled .mo matches the .po, every UI string has a translation, and the
workbench really renders in English when asked (msgids are the Japanese text; see decision 0005)."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "juchu" / "locale" / "en" / "LC_MESSAGES"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "juchu" / "web" / "templates"


def po_entries() -> dict[str, str]:
    """msgid → msgstr (msgstr[0] for plurals) read from the .po file, without the header."""
    entries: dict[str, str] = {}
    key = None
    current: dict[str, str] = {}
    for line in (LOCALE / "django.po").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line)
        if match:
            key = match.group(1)
            if key == "msgid" and "msgid" in current:
                entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
                current = {}
            current[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
    if "msgid" in current:
        entries[current["msgid"]] = current.get("msgstr", current.get("msgstr[0]", ""))
    entries.pop("", None)
    return entries


def test_every_entry_of_the_catalogue_is_translated() -> None:
    untranslated = [msgid for msgid, msgstr in po_entries().items() if not msgstr]

    assert not untranslated, f"{len(untranslated)} untranslated, e.g. {untranslated[:5]}"


def test_the_compiled_catalogue_matches_the_po_file() -> None:
    with (LOCALE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = [msgid for msgid, msgstr in po_entries().items() if compiled.gettext(msgid) != msgstr]

    assert not stale, f"django.mo is older than django.po ({len(stale)} differ, e.g. {stale[:3]}): run msgfmt"


def test_every_translate_tag_in_the_templates_is_in_the_catalogue() -> None:
    known = set(po_entries())
    missing = set()
    for template in TEMPLATES.rglob("*.html"):
        for msgid in re.findall(r'{%\s*translate\s+"([^"]+)"', template.read_text(encoding="utf-8")):
            # Django doubles a literal % in the catalogue ("95%点" is looked up as "95%%点").
            if msgid not in known and msgid.replace("%", "%%") not in known:
                missing.add(f"{template.name}: {msgid}")

    assert not missing, f"run makemessages -l en and translate: {sorted(missing)[:10]}"


@pytest.mark.django_db
def test_the_workbench_renders_in_english_when_asked(client, django_user_model) -> None:
    from juchu.web.auth import Role, set_role

    user = django_user_model.objects.create_user("en-user", password="x-long-password-1")
    set_role(user, Role.VIEWER)
    client.force_login(user)
    client.post("/language/", {"language": "en", "next": "/orders/"})

    html = client.get("/orders/").content.decode()

    assert '<html lang="en">' in html
    assert "受注一覧" not in html.split("<main>")[1].split("</h1>")[0]
    assert "Awaiting check" in html  # a status tab, from the domain's English label


def test_messages_kept_in_python_constants_are_in_the_catalogue_too() -> None:
    from django.utils import translation

    from juchu.web.lockout import LOCKED_MESSAGE

    with translation.override("en"):
        english = translation.gettext(LOCKED_MESSAGE)

    assert english != LOCKED_MESSAGE and "%(minutes)s" in english


def test_form_choices_named_by_domain_labels_follow_the_language_when_rendered() -> None:
    from django.utils import translation

    from juchu.web.forms_settings import ROLE_CHOICES
    from juchu.web.forms_settings_rules import STOP_CHOICES

    def shown() -> tuple[str, str]:
        return str(dict(STOP_CHOICES)["awaiting_check"]), str(dict(ROLE_CHOICES)["admin"])

    with translation.override("en"):
        english = shown()
    with translation.override("ja"):
        japanese = shown()

    assert english == ("Hold at Awaiting check", "Administrator")
    assert japanese == ("確認待で停止", "管理者")
