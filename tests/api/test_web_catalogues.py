"""The web pages' words: both languages hold the same keys, nothing empty, nothing left in one
language only, and every key a template or script asks for exists."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from api.web.i18n import load
from engine import Language
from engine.channels import Channel
from engine.errors import CatalogueError
from engine.lifecycle import Role, Trigger
from engine.models.sla import NotificationStatus
from sla.policy import RecipientKind

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "api" / "web"
TEMPLATES = sorted((WEB / "templates").rglob("*.html"))
SCRIPTS = sorted((WEB / "static" / "js").glob("*.js"))
ID, EN = load(Language.ID), load(Language.EN)
#: Keys whose words are the same in both languages on purpose (names, formats, shared words).
SAME = {
    "base.site_name",
    "base.footer_open311",
    "base.month_4",
    "base.month_9",
    "base.month_11",
    "report.coords_placeholder",
    "track.find_placeholder",
    "track.state",
    "problem.field.reporter_email",
    "staff.channel.email",
    "staff.channel.open311",
    "staff.channel.whatsapp",
}
_KEY = r"[a-z0-9_]+(?:\.[a-z0-9_]+)+"


def test_both_languages_hold_the_same_keys() -> None:
    assert sorted(set(ID) - set(EN)) == [], "only in Indonesian"
    assert sorted(set(EN) - set(ID)) == [], "only in English"


def test_no_message_is_empty_or_left_untranslated() -> None:
    assert [k for k, v in {**ID, **EN}.items() if not v.strip()] == []
    same = {k for k in ID if ID[k] == EN[k]}
    assert sorted(same - SAME) == [], "same words in both languages: translate them"


def test_messages_name_the_same_parameters_in_both_languages() -> None:
    def params(text: str) -> set[str]:
        return set(re.findall(r"\{(\w+)\}", text))

    assert [k for k in ID if params(ID[k]) != params(EN[k])] == []


def _used_keys(text: str) -> set[str]:
    return set(re.findall(rf"""\bt\(\s*["']({_KEY})["']\s*[,)]""", text)) | set(
        re.findall(
            rf"""["']({_KEY})["']""", "".join(re.findall(r"messages\(\[(.*?)\]\)", text, re.S))
        )
    )


@pytest.mark.parametrize("path", TEMPLATES + SCRIPTS, ids=lambda p: p.name)
def test_every_key_a_page_asks_for_exists(path: Path) -> None:
    used = _used_keys(path.read_text(encoding="utf-8"))
    assert sorted(used - set(ID)) == []


def test_citizen_pages_ask_for_their_words_by_key() -> None:
    """The check above finds keys at all (it would pass vacuously on a broken pattern)."""
    used = set().union(*(_used_keys(p.read_text(encoding="utf-8")) for p in TEMPLATES))
    assert {"report.send", "track.dispute_send", "base.not_found_title"} <= used


def test_keys_built_from_the_engine_s_vocabularies_exist() -> None:
    built = {f"trigger.{t.value}" for t in Trigger} | {f"role.{r.value}" for r in Role}
    built |= {f"base.month_{m}" for m in range(1, 13)} | {f"track.rating_{n}" for n in range(1, 6)}
    built |= {f"dashboard.recipient_kind.{k.value}" for k in RecipientKind}
    built |= {f"dashboard.mail.{s.value}" for s in NotificationStatus}
    built |= {f"staff.channel.{c.value}" for c in Channel}  # the ticket page's "Reported"
    assert sorted(built - set(ID)) == []


class _Literals(HTMLParser):
    """Words written straight into a template (outside ``t(…)``) are untranslated."""

    WORDY = ("alt", "title", "placeholder", "aria-label", "label", "value")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            return
        for name, value in attrs:
            if name in self.WORDY and value and re.search(r"[A-Za-z]{2,}", value):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if re.search(r"[A-Za-z]{2,}", data) and self.lasttag not in ("script", "style"):
            self.found.append(data.strip())


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_templates_hold_no_words_of_their_own(path: Path) -> None:
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", path.read_text(), flags=re.S)
    parser = _Literals()
    parser.feed(source)
    assert parser.found == []


def test_a_message_key_given_twice_in_a_file_is_refused(tmp_path: Path) -> None:
    """Without the check the second ``title`` would silently replace the first."""
    (tmp_path / "id").mkdir()
    (tmp_path / "id" / "report.yaml").write_text("title: Lapor\nintro: Halo\ntitle: Laporan\n")
    with pytest.raises(CatalogueError) as raised:
        load(Language.ID, tmp_path)
    assert "report.yaml:3: title: duplicate key 'title' (first at line 1)" in raised.value.message


def test_every_input_rule_s_key_has_words_in_both_languages() -> None:
    """Each stable key an input rule raises (``key="…"`` in the engine or the API) has its own
    message: without one a page can only say "this could not be done"."""
    raised = {
        match.group(1): str(path)
        for folder in ("engine", "api")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for match in re.finditer(r'\bkey="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert len(raised) > 30  # the scan finds the rules (43 when this was written)
    for messages in (ID, EN):
        missing = {k: where for k, where in raised.items() if f"problem.{k}" not in messages}
        assert missing == {}


def test_every_box_a_page_sends_has_a_name_for_refusals() -> None:
    """A refusal names the box it is about (sent twice, too long, ...) by its words in
    ``problem.field``; a box without them was "one of the boxes" (a repeated place choice)."""
    boxes = set()
    for path in TEMPLATES:
        boxes |= set(
            re.findall(r'<(?:input|select|textarea)\b[^>]*?\bname="([a-z_]+)"', path.read_text())
        )
    assert {"place", "address", "category", "key"} <= boxes
    for messages in (ID, EN):
        assert sorted(b for b in boxes if f"problem.field.{b}" not in messages) == []
