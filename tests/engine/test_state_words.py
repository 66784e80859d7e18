"""State words come from the one presentation table (DESIGN §2): mail reads each state as the
badge, the API and Open311 do, and no two states read alike."""

from __future__ import annotations

import pytest

from engine import letters
from engine.lifecycle import State
from engine.presentation import PRESENTATION, present


@pytest.mark.parametrize("state", list(State))
def test_mail_wording_is_the_label(state: State) -> None:
    row = present(state)
    for lang, label in (("id", row.label_id), ("en", row.label_en)):
        assert letters.state_label(state, lang) == label == row.label(lang)


def test_no_two_states_read_alike() -> None:
    for lang in ("id", "en"):
        labels = [row.label(lang) for row in PRESENTATION.values()]
        assert len(set(labels)) == len(labels), labels
    assert (present("resolved").label_id, present("closed").label_id) == (
        "Selesai",
        "Selesai (ditutup)",
    )
    assert letters.state_label("assigned", "id", last_trigger="transfer") == "Koordinasi"
    assert letters.state_label("assigned", "en", last_trigger="transfer") == "Coordinating"
    assert letters.state_label("verified", "xx") == "Menunggu (terverifikasi)"
