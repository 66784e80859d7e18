"""Every refusal of a catalogue file is in the project's words, names its file, line and key
path, and states the bounds of a number: never pydantic's ("Input should be less than or equal
to 1000", "Field required", "give a number" for ``1e400``), a library's ("Category is not
supported: x.") or Python's (``None``, ``True``, ``inf``, ``{'a': 1}``). The shipped catalogue
is walked: every key of every kind of entry given bad values, taken away, and joined by a key
it does not take (``engine.catalogue.refusals``)."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from engine.catalogue import parse_catalogue
from engine.errors import CatalogueError
from tests.conftest import CATALOGUE

SHIPPED = CATALOGUE.read_text()
DATA = yaml.safe_load(SHIPPED)
#: Each section cut to one entry of each kind, with every optional key given once: what is
#: walked is the schema, once for each key of each kind of entry.
SMALL = {
    **DATA,
    "areas": DATA["areas"][:2],
    "agencies": DATA["agencies"][:1],
    "categories": [c for c in DATA["categories"] if c["code"] in ("broken_road", "flood")],
    "routing": DATA["routing"][:1],
    "calendars": [
        {**DATA["calendars"][0], "closed_dates": ["2026-12-24"], "open_dates": ["2026-12-26"]}
    ],
    "ladders": [
        {**ladder, "levels": [{**ladder["levels"][0], "key": "first"}, *ladder["levels"][1:]]}
        for ladder in DATA["ladders"]
        if any(isinstance(e, dict) for level in ladder["levels"] for e in level["notify"])
    ][:1],
    "policies": DATA["policies"][:1],
    "area_offices": DATA["area_offices"][:1],
}
#: Values as YAML writes them, each wrong for some key: 1e400 is text to YAML, 1.0e+400 is
#: infinity, and a whole number past 64 bits.
BAD = ["1e400", "1.0e+400", ".nan", "99999999999999999999", "-1", "1.5", "true", "null", "''",
       "[1]", "{a: 1}"]  # fmt: skip
#: pydantic's, a library's and Python's words; and a number refused without its bounds.
NOT_OURS = re.compile(
    r"Input should|Field required|Extra inputs|should have|valid dictionary|instance of|"
    r"after validation|Value error|Assertion failed|Category is not supported|"
    r"\b(None|True|False)\b|(?<![.\w])(inf|nan)\b|\{'|give (a|a whole) number(,|$)|than or equal"
)
LINE = re.compile(r"^cat\.yaml:\d+: [^ ]+: \S")
SENTINEL = "@@bad@@"


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _kinds() -> list[tuple[Any, ...]]:
    """One path for each key of each kind of entry (``categories[*].questions[*].order``)."""
    seen, found = set(), []
    for path in _paths(SMALL):
        kind = tuple("*" if isinstance(step, int) else step for step in path)
        if path and kind not in seen:
            seen.add(kind)
            found.append(path)
    return found


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _refusals(text: str) -> list[str]:
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="cat.yaml")
    return raised.value.message.splitlines()


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100_000)


def test_every_refusal_of_a_bad_catalogue_is_in_our_words_with_line_and_path() -> None:
    foreign: list[str] = []
    walked = 0
    for path in _kinds():
        changed = copy.deepcopy(SMALL)
        _at(changed, path[:-1])[path[-1]] = SENTINEL
        text = _dump(changed)
        texts = [text.replace(f"'{SENTINEL}'", raw).replace(SENTINEL, raw) for raw in BAD]
        parent = _at(SMALL, path[:-1])
        if isinstance(parent, dict):
            without = copy.deepcopy(SMALL)
            del _at(without, path[:-1])[path[-1]]
            texts.append(_dump(without))
        if isinstance(_at(SMALL, path), dict):
            extra = copy.deepcopy(SMALL)
            _at(extra, path)["colour"] = "red"
            texts.append(_dump(extra))
        for text in texts:
            try:
                lines = _refusals(text)
            except pytest.fail.Exception:
                continue  # taken: a value this key may hold
            walked += 1
            foreign += [f"{path}: {line}" for line in lines if NOT_OURS.search(line)]
            foreign += [f"{path}: {line}" for line in lines if not LINE.match(line)]
    assert foreign == []
    assert walked > 800


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("percent: 300", "percent: 1001",
         "ladders[0].levels[4].percent: give a whole number above 0 and at most 1,000, not 1001"),
        ("percent: 300", "percent: 99999999999999999999",
         "ladders[0].levels[4].percent: give a whole number above 0 and at most 1,000, "
         "not 99999999999999999999"),
        ("percent: 300", "percent: 300.0",
         "ladders[0].levels[4].percent: give a whole number above 0 and at most 1,000, "
         "not 300.0"),
        ("order: 1\n        description: {id: \"Kedalaman",
         "order: .nan\n        description: {id: \"Kedalaman",
         "categories[{flood}].questions[0].order: give a whole number between 1 and 1,000, "
         "not .nan"),
        ("max: 1000", "max: 1e400",
         "categories[{flood}].questions[0].max: give a number between -1,000,000,000 and "
         "1,000,000,000, not '1e400' (YAML reads it as text: write plain digits such as 1000 or "
         "1.5)"),
        ("max: 1000", "max: 1.0e+400",
         "categories[{flood}].questions[0].max: give a number between -1,000,000,000 and "
         "1,000,000,000, not .inf"),
        ("    polygon: [[106.33, -5.10], [106.60, -5.10]",
         "    polygon: [[106.33, .nan], [106.60, -5.10]",
         "areas[0].polygon[0][1]: give a latitude between -90 and 90, not .nan"),
        ("    polygon: [[106.33, -5.10], [106.60, -5.10]",
         "    polygon: [[181, -5.10], [106.60, -5.10]",
         "areas[0].polygon[0][0]: give a longitude between -180 and 180, not 181"),
        ("    polygon: [[106.33, -5.10], [106.60, -5.10]",
         "    polygon: [[106.33], [106.60, -5.10]",
         "areas[0].polygon[0][1]: missing: give a point as [longitude, latitude]"),
        ("version: 1", "version: null",
         "version: null is no catalogue version this Tanggap reads; write 1"),
        ("    level: province\n", "    level: provinsi\n",
         "areas[0].level: give one of province, kota, kecamatan, kelurahan, not 'provinsi'"),
        ("    level: province\n", "    level: province\n    colour: red\n",
         "areas[0].colour: unknown key; here the keys are code, name, level, polygon, parent"),
        ("    name: Provinsi DKI Jakarta\n", "    name: null\n",
         "areas[0].name: give text, not null"),
        ("    name: Provinsi DKI Jakarta\n", "    name: ''\n",
         "areas[0].name: is empty: give text"),
        ("    name: Provinsi DKI Jakarta\n", "", "areas[0].name: missing: this key is required"),
        ("version: 1", "version: 1\ncolour: red",
         "colour: unknown key; here the keys are version, areas, agencies, categories, routing, "
         "calendars, ladders, policies, area_offices"),
    ],
)  # fmt: skip
def test_a_refusal_says_what_to_write_and_the_bounds(old: str, new: str, said: str) -> None:
    assert SHIPPED.count(old) == 1, old
    text = SHIPPED.replace(old, new)
    flood = next(i for i, c in enumerate(DATA["categories"]) if c["code"] == "flood")
    lines = _refusals(text)
    assert len(lines) == 1, lines
    assert re.sub(r"^cat\.yaml:\d+: ", "", lines[0]) == said.replace("{flood}", str(flood))
