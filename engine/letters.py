"""The words of every mail, from Jinja2 templates in ``engine/templates`` (text + HTML).

A text template's first line is the subject, then a blank line, then the body. HTML templates
escape everything they are given, so a citizen's words can never become markup; text bodies
are plain text and carry no markup to escape. Staff mail (escalations, a reporter's follow-ups
forwarded to staff) is Indonesian with English beside it; citizens get the language they
reported in; digests the reader's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from engine.presentation import present
from engine.text import LIMITS, shorten

if TYPE_CHECKING:
    from engine.models import Ticket

LANGUAGES = ("id", "en")

_env = Environment(
    loader=PackageLoader("engine", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


class Letter(NamedTuple):
    subject: str
    body: str
    html: str


def language(value: str | None) -> str:
    return value if value in LANGUAGES else "id"


def render(kind: str, lang: str | None = None, **context: Any) -> Letter:
    """Render ``kind`` (``escalation``, ``citizen_update``, ``daily_digest``) in ``lang``
    (None: a bilingual template)."""
    suffix = f".{language(lang)}" if lang is not None else ""
    text = _env.get_template(f"{kind}{suffix}.txt.j2").render(**context)
    subject, _, body = text.partition("\n\n")
    # Catalogue names can be long: the subject must fit its column (and a mail client).
    subject = shorten(" ".join(subject.split()), LIMITS["notification_subject"])
    html = _env.get_template(f"{kind}{suffix}.html.j2").render(
        subject=subject, lang=language(lang), **context
    )
    return Letter(subject, body.strip() + "\n", html)


def state_label(state: str, lang: str, *, last_trigger: str | None = None) -> str:
    """How ``state`` reads in mail: the presentation table's label, as pages and the API
    read it (DESIGN §2)."""
    return present(state, last_trigger).label(language(lang))


#: A priority as mail says it (the staff pages' words: api/web/i18n, ``staff.priority_level``).
PRIORITY_WORDS: dict[str, tuple[str, str]] = {
    "low": ("rendah", "low"),
    "normal": ("biasa", "normal"),
    "high": ("tinggi", "high"),
    "urgent": ("mendesak", "urgent"),
}


def priority_words(priority: str, lang: str) -> str:
    """``priority`` ("urgent") in words of ``lang``: "mendesak" / "urgent"."""
    words = PRIORITY_WORDS.get(priority, (priority, priority))
    return words[1] if language(lang) == "en" else words[0]


def ticket_facts(ticket: Ticket) -> dict[str, str]:
    """What every staff mail names of ``ticket`` as it is now, as template values: its
    category (``category_id``/``category_en``), ``area`` (its title, "Kelurahan Gambir"),
    ``agency`` and state (``status_id``/``status_en``)."""
    return {
        "category_id": ticket.category.name_id,
        "category_en": ticket.category.name_en,
        "area": ticket.area.title,
        "agency": ticket.agency.name,
        "status_id": state_label(ticket.state, "id", last_trigger=ticket.last_trigger),
        "status_en": state_label(ticket.state, "en", last_trigger=ticket.last_trigger),
    }


def forwarded(body: str, html: str | None, *, dead: str) -> tuple[str, str | None]:
    """A mail's text and HTML, each opening with the note that it was forwarded because mail to
    ``dead`` could not be delivered (the note goes first in the HTML body, like in the text)."""
    note = _env.get_template("forwarded_note.txt.j2").render(dead=dead).strip()
    text = f"{note}\n\n{body}"
    if html is None:
        return text, None
    note_html = _env.get_template("forwarded_note.html.j2").render(dead=dead)
    opening = html.find("<body")
    at = html.find(">", opening) + 1 if opening >= 0 else 0
    return text, f"{html[:at]}\n{note_html}{html[at:]}"
