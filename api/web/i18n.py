"""Words of the web pages in Indonesian (the default) and English.

Catalogues are YAML files, one folder per language (``i18n/id/``, ``i18n/en/``) and one file per
part of the site (``base.yaml``, ``report.yaml`` …), so each part keeps its own words. A key is
the file's name, a dot and the key inside it (``report.send``); values may name parameters in
braces (``{code}``). Both languages must hold the same keys (tests/web/test_catalogues.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine import Language
from engine.catalogue.yaml_errors import read_yaml
from engine.once import built_once

log = logging.getLogger(__name__)

FOLDER = Path(__file__).parent / "i18n"
DEFAULT = Language.ID


def _flatten(prefix: str, tree: Mapping[str, object], into: dict[str, str], source: Path) -> None:
    for name, value in tree.items():
        key = f"{prefix}.{name}"
        if isinstance(value, Mapping):
            _flatten(key, value, into, source)
        elif isinstance(value, str):
            into[key] = value
        else:
            raise ValueError(f"{source}: {key}: a message must be text, not {value!r}")


def load(language: Language, folder: Path = FOLDER) -> dict[str, str]:
    """Every message of ``language``, by key."""
    messages: dict[str, str] = {}
    for path in sorted((folder / language.value).glob("*.yaml")):
        # A key given twice would silently drop a message: refused like any catalogue file.
        _node, tree = read_yaml(path.read_text(encoding="utf-8"), source=str(path))
        tree = tree or {}
        if not isinstance(tree, Mapping):
            raise ValueError(f"{path}: a catalogue is a mapping of keys to messages")
        _flatten(path.stem, tree, messages, path)
    return messages


@built_once
def catalogue(language: Language) -> Mapping[str, str]:
    return load(language)


@dataclass(frozen=True)
class Translator:
    """``t("report.send")``, ``t("track.title", code=…)``; an unknown key shows as itself."""

    language: Language

    def __call__(self, key: str, **params: object) -> str:
        message = catalogue(self.language).get(key)
        if message is None:
            log.warning("no %s message %r", self.language.value, key)
            return key
        return message.format(**params) if params else message

    def word(self, vocabulary: str, value: str) -> str:
        """The words for ``value`` of a vocabulary (``t.word("staff.channel", "walk-in")``), or
        ``value`` itself when there are none: a word stored before the vocabulary checked it
        reads as stored, never as a message key."""
        message = catalogue(self.language).get(f"{vocabulary}.{value}")
        return value if message is None else message

    def pick(self, indonesian: str, english: str) -> str:
        """One of two words the engine keeps in both languages (state labels, category names)."""
        return indonesian if self.language is Language.ID else english

    def subset(self, keys: Iterable[str], *, prefixes: Iterable[str] = ()) -> dict[str, str]:
        """The messages a page's script needs, to embed as JSON: ``keys`` and every message
        under ``prefixes`` (``"problem."``: the words for the API's problem codes)."""
        wanted = list(keys)
        for prefix in prefixes:
            wanted += [key for key in catalogue(self.language) if key.startswith(prefix)]
        return {key: self(key) for key in wanted}


def language_of(requested: str | None) -> Language | None:
    """The language a ``lang`` parameter or cookie names, or ``None`` for anything else."""
    try:
        return Language((requested or "").strip().lower())
    except ValueError:
        return None
