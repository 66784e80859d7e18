"""Ctrl-C while ``tanggap`` starts (importing its commands takes about two seconds) printed a
whole Python traceback (a tester's report): it ends as a Ctrl-C during a command does."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

import pytest

import cli

pytestmark = pytest.mark.database_free


class _CtrlC(MetaPathFinder):
    """Stands for the person pressing Ctrl-C while ``cli.main`` is being imported."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "cli.main":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_the_commands_load_is_one_word_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(sys.modules, "cli.main", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_CtrlC(), *sys.meta_path])

    with pytest.raises(SystemExit) as ended:
        cli.run()

    assert ended.value.code == 1
    assert capsys.readouterr().err == "\nAborted!\n"
