"""State words in mail come from the one presentation table (DESIGN §2): the badge's label, or
its longer mail wording where the short label hides a difference."""

from __future__ import annotations

import pytest

from engine import letters
from engine.lifecycle import State
from engine.presentation import PRESENTATION, present


@pytest.mark.parametrize("state", list(State))
def test_mail_wording_is_the_label_or_the_label_spelled_out(state: State) -> None:
    row = present(state)
    for lang, label, detail in (
        ("id", row.label_id, row.detail_id),
        ("en", row.label_en, row.detail_en),
    ):
        assert letters.state_label(state, lang) == detail == row.detail(lang)
        assert row.label(lang) == label
        assert detail == label or detail.startswith(f"{label} (")


def test_mail_spells_out_what_the_badge_leaves_out() -> None:
    words = {state.value: (row.label_id, row.detail_id) for state, row in PRESENTATION.items()}
    assert {s: w for s, w in words.items() if w[0] != w[1]} == {
        "closed": ("Selesai", "Selesai (ditutup)"),
    }
    assert letters.state_label("assigned", "id", last_trigger="transfer") == "Koordinasi"
    assert letters.state_label("assigned", "en", last_trigger="transfer") == "Coordinating"
    assert letters.state_label("verified", "xx") == "Menunggu (terverifikasi)"
