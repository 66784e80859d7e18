"""The catalogue file: the shipped one loads, reloads are idempotent, edits apply in place, and a
bad file names its mistake by key path and line, and writes nothing.

The shipped file is already loaded by the session's ``database`` fixture; every load here runs
inside the test's rolled-back transaction.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.catalogue import load_catalogue, parse_catalogue
from engine.catalogue.yaml_errors import read_yaml
from engine.errors import CatalogueError, UnknownCategory
from engine.models import Agency, Area, CatalogueRevision, Category, RoutingRule
from engine.policies import load_policy_book

SHIPPED = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
SPEC = parse_catalogue(SHIPPED)
AREA = {a.code: i for i, a in enumerate(SPEC.areas)}
AGENCY = {g.code: i for i, g in enumerate(SPEC.agencies)}
CATEGORY = {c.code: i for i, c in enumerate(SPEC.categories)}
GAMBIR_GARBAGE = next(
    i
    for i, r in enumerate(SPEC.routing)
    if (r.category, r.area) == ("garbage_pile", "31.71.01.1001")
)
MONAS = (-6.1754, 106.8272)
KOTA = {"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"}

TRAFFIC_JAM = "    name_en: Traffic jam\n    group: transport\n    agency: DISHUB\n"
POLLUTION_BLOCK = (
    "  - code: pollution\n"
    "    name_id: Pencemaran udara / air\n"
    "    name_en: Air or water pollution\n"
    "    group: environment\n"
    "    agency: DLH\n"
    "    default_priority: high\n"
    "    photo_on_submit: false\n"
    "    photo_on_resolve: false\n"
)
GAMBIR_GARBAGE_RULE = (
    "  - category: garbage_pile\n"
    '    area: "31.71.01.1001"          # Kel. Gambir\n'
    "    agency: KEL-GAMBIR\n"
)


def edit(old: str, new: str) -> str:
    """The shipped file with one exact passage replaced (it must occur exactly once)."""
    assert SHIPPED.count(old) == 1, f"{old!r} is not a unique passage of the shipped file"
    return SHIPPED.replace(old, new)


def line_of(text: str, needle: str) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(lines) == 1, f"{needle!r} is on lines {lines}"
    return lines[0]


def row_counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, Agency, Category, RoutingRule, CatalogueRevision)
    }


def category(session: Session, code: str) -> Category:
    return session.scalars(select(Category).where(Category.code == code)).one()


def reload(desk, text: str):
    return load_catalogue(desk.session, text, now=desk.tick(), source="jakarta.yaml")


# --- the shipped file ------------------------------------------------------------------------


def test_catalogue_shipped_file_covers_jakarta() -> None:
    levels = {
        level: {a.code for a in SPEC.areas if a.level == level}
        for level in ("province", "kota", "kecamatan", "kelurahan")
    }

    assert levels["province"] == {"31"}
    assert levels["kota"] == KOTA
    assert len(levels["kecamatan"]) >= 5
    assert len(levels["kelurahan"]) >= 5
    assert len(SPEC.categories) >= 15
    agencies = {g.code for g in SPEC.agencies}
    assert {c.agency for c in SPEC.categories} <= agencies


def test_catalogue_shipped_file_in_database_every_category_has_active_agency(session) -> None:
    categories = list(session.scalars(select(Category)))

    assert len(categories) == len(SPEC.categories)
    for row in categories:
        assert row.active
        assert row.agency.active
        assert row.agency.code == SPEC.categories[CATEGORY[row.code]].agency


def test_load_catalogue_same_file_again_changes_nothing(desk) -> None:
    before = row_counts(desk.session)

    summary = reload(desk, SHIPPED)

    assert not summary.changed
    assert summary.as_dict() == {}
    assert row_counts(desk.session) == before


# --- edits apply in place --------------------------------------------------------------------


def test_load_catalogue_renamed_category_updated_in_place(desk) -> None:
    ticket = desk.submit()
    row = category(desk.session, "traffic_jam")
    row_id, revisions = row.id, row_counts(desk.session)["CatalogueRevision"]

    summary = reload(desk, edit("name_en: Traffic jam\n", "name_en: Traffic congestion\n"))

    assert summary.as_dict() == {"category.updated": 1}
    assert category(desk.session, "traffic_jam").id == row_id
    assert ticket.category.id == row_id
    assert ticket.category.name_en == "Traffic congestion"
    revision = desk.session.scalars(
        select(CatalogueRevision).order_by(CatalogueRevision.id.desc())
    ).first()
    assert row_counts(desk.session)["CatalogueRevision"] == revisions + 1
    assert revision is not None
    assert (revision.source, revision.loaded_at) == ("jakarta.yaml", desk.now)
    assert revision.summary == {"category.updated": 1}


def test_load_catalogue_category_moved_to_other_agency_routes_new_reports_there(desk) -> None:
    old = desk.submit(category="pollution", description="Asap hitam dari pabrik")
    row_id = old.category.id
    moved = POLLUTION_BLOCK.replace("agency: DLH", "agency: DSDA")

    summary = reload(desk, edit(POLLUTION_BLOCK, moved))

    assert summary.updated == {"category": 1}
    assert category(desk.session, "pollution").id == row_id
    assert category(desk.session, "pollution").agency.code == "DSDA"
    # The existing ticket keeps its category row, and only a transition moves it elsewhere.
    assert old.category.id == row_id
    assert old.agency.code == "DLH"
    assert desk.submit(category="pollution", description="Air sungai hitam").agency.code == "DSDA"


def test_load_catalogue_removed_category_deactivated_not_deleted(desk) -> None:
    old = desk.submit(category="pollution", description="Asap hitam dari pabrik")
    row_id = old.category.id

    summary = reload(desk, edit(POLLUTION_BLOCK, ""))

    assert summary.deactivated == {"category": 1}
    row = category(desk.session, "pollution")
    assert (row.id, row.active) == (row_id, False)
    assert old.category.code == "pollution"
    with pytest.raises(UnknownCategory, match="pollution"):
        desk.submit(category="pollution", description="Asap lagi")

    again = reload(desk, SHIPPED)
    assert again.updated == {"category": 1}
    assert category(desk.session, "pollution").active


def test_load_catalogue_warns_of_open_work_left_with_a_retired_category(desk) -> None:
    old = desk.submit(category="pollution", description="Asap hitam dari pabrik")

    summary = reload(desk, edit(POLLUTION_BLOCK, ""))

    assert summary.retired_holding == [
        f"category pollution is no longer in the catalogue and is still the category of 1 open "
        f"ticket: {old.code}; correct their category"
    ]
    assert reload(desk, SHIPPED).retired_holding == []


def test_load_catalogue_warns_of_open_work_left_with_a_retired_agency(desk) -> None:
    """A tester's report: a file without GULKARMAT (and its two categories) loaded with nothing
    but counts; its open fire ticket stayed with the retired agency, silently re-timed."""
    import yaml

    fires = [desk.submit(category="fire_hazard", description=f"Api {n}") for n in range(7)]
    data = yaml.safe_load(SHIPPED)
    gone = {c["code"] for c in data["categories"] if c["agency"] == "GULKARMAT"}
    data["agencies"] = [a for a in data["agencies"] if a["code"] != "GULKARMAT"]
    data["categories"] = [c for c in data["categories"] if c["code"] not in gone]
    for policy in data["policies"]:
        policy["categories"] = [c for c in policy.get("categories", []) if c not in gone]

    reduced = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    summary = reload(desk, reduced)

    codes = sorted(t.code for t in fires)
    assert summary.retired_holding == [
        f"agency GULKARMAT is no longer in the catalogue and still holds 7 open tickets: "
        f"{', '.join(codes[:5])} and 2 more; move them to an agency in force (transfer; while "
        "not yet assigned, assign naming the agency)",
        f"category fire_hazard is no longer in the catalogue and is still the category of 7 open "
        f"tickets: {', '.join(codes[:5])} and 2 more; correct their category",
    ]
    desk.act(fires[0], "reject", "admin", note="latihan")
    again = reload(desk, reduced)  # changes nothing, and still says what is left
    assert not again.changed
    assert [line.split(":")[0] for line in again.retired_holding] == [
        "agency GULKARMAT is no longer in the catalogue and still holds 6 open tickets",
        "category fire_hazard is no longer in the catalogue and is still the category of 6 open "
        "tickets",
    ]


def test_load_catalogue_removed_routing_override_deleted_default_agency_applies(desk) -> None:
    assert desk.submit(category="garbage_pile").agency.code == "KEL-GAMBIR"
    rules = row_counts(desk.session)["RoutingRule"]

    summary = reload(desk, edit(GAMBIR_GARBAGE_RULE, ""))

    assert summary.as_dict() == {"routing.deactivated": 1}
    assert row_counts(desk.session)["RoutingRule"] == rules - 1
    assert desk.submit(category="garbage_pile").agency.code == "DLH"


# --- bad files -------------------------------------------------------------------------------

#: A small valid catalogue, so each bad variant below differs from a good file by one mistake
#: and parses in milliseconds. Loading it for real would deactivate most of the shipped rows,
#: so "the database is unchanged" is a strong check.
MINI = """\
version: 1
areas:
  - code: "31"
    name: Provinsi DKI Jakarta
    level: province
    polygon: [[106.6, -6.4], [107.0, -6.4], [107.0, -6.0], [106.6, -6.0], [106.6, -6.4]]
  - code: "31.71"
    name: Kota Administrasi Jakarta Pusat
    level: kota
    parent: "31"
    polygon: [[106.79, -6.23], [106.88, -6.23], [106.88, -6.13], [106.79, -6.13], [106.79, -6.23]]
  - code: "31.71.01"
    name: Kecamatan Gambir
    level: kecamatan
    parent: "31.71"
    polygon: [[106.806, -6.186], [106.836, -6.186], [106.836, -6.164], [106.806, -6.164], [106.806, -6.186]]
  - code: "31.71.01.1001"
    name: Kelurahan Gambir
    level: kelurahan
    parent: "31.71.01"
    polygon: [[106.818, -6.185], [106.835, -6.185], [106.835, -6.166], [106.818, -6.166], [106.818, -6.185]]
agencies:
  - code: DLH
    name: Dinas Lingkungan Hidup
    kind: dinas
    area: "31"
    email: dlh.queue@tanggap.example
    head_email: dlh.head@tanggap.example
  - code: KEL-GAMBIR
    name: Kantor Kelurahan Gambir
    kind: area_office
    area: "31.71.01.1001"
    email: kel-gambir.queue@tanggap.example
    head_email: kel-gambir.head@tanggap.example
categories:
  - code: garbage_pile
    name_id: Tumpukan sampah
    name_en: Garbage pile
    group: environment
    agency: DLH
  - code: pollution
    name_id: Pencemaran udara / air
    name_en: Air or water pollution
    group: environment
    agency: DLH
routing:
  - category: garbage_pile
    area: "31.71.01.1001"
    agency: KEL-GAMBIR
"""  # noqa: E501


def mini(old: str, new: str) -> str:
    assert MINI.count(old) == 1, f"{old!r} is not a unique passage of MINI"
    return MINI.replace(old, new)


BAD_FILES = {
    # name: (text, key path, text on the line the error must name, words of the message)
    "invalid_yaml": (
        mini("name_en: Garbage pile", "name_en: Garbage: pile"),
        None,
        "name_en: Garbage: pile",
        "not valid YAML",
    ),
    "unknown_key": (
        mini(
            "    group: environment\n    agency: DLH\n  - code: pollution",
            "    group: environment\n    agency: DLH\n    colour: red\n  - code: pollution",
        ),
        "categories[0].colour",
        "colour: red",
        "unknown key; here the keys are code, name_id, name_en, group, agency, default_priority,",
    ),
    "missing_key": (
        mini(
            "    name_en: Air or water pollution\n    group: environment\n",
            "    name_en: Air or water pollution\n",
        ),
        "categories[1].group",
        "- code: pollution",
        "missing: this key is required",
    ),
    "unknown_agency": (
        mini(
            "    name_en: Air or water pollution\n    group: environment\n    agency: DLH",
            "    name_en: Air or water pollution\n    group: environment\n    agency: DSDA",
        ),
        "categories[1].agency",
        "agency: DSDA",
        "unknown agency 'DSDA'",
    ),
    "unknown_routing_area": (
        mini(
            '    area: "31.71.01.1001"\n    agency: KEL-GAMBIR',
            '    area: "31.71.01.9999"\n    agency: KEL-GAMBIR',
        ),
        "routing[0].area",
        '"31.71.01.9999"',
        "unknown area '31.71.01.9999'",
    ),
    "child_outside_parent": (
        mini("[[106.818, -6.185], [106.835, -6.185]", "[[106.818, -6.185], [106.845, -6.185]"),
        "areas[3].polygon",
        "[[106.818, -6.185], [106.845, -6.185]",
        "not inside parent 31.71.01",
    ),
    "nan_in_polygon": (  # said "polygon ring must end where it starts" (NaN != NaN)
        mini("[[106.818, -6.185], [106.835, -6.185]", "[[106.818, -6.185], [106.835, .nan]"),
        "areas[3].polygon[1][1]",
        "[[106.818, -6.185], [106.835, .nan]",
        "give a latitude between -90 and 90, not .nan",
    ),
    "duplicate_code": (
        mini("  - code: pollution\n", "  - code: garbage_pile  # twice\n"),
        "categories[1].code",
        "code: garbage_pile  # twice",
        "duplicate code 'garbage_pile'",
    ),
    "level_under_wrong_parent": (
        mini("    level: kelurahan\n", "    level: kota  # wrong\n"),
        "areas[3].level",
        "level: kota  # wrong",
        "a kota cannot lie under a kecamatan",
    ),
    "bad_email": (
        mini("email: kel-gambir.queue@tanggap.example", "email: kel-gambir.queue.tanggap.example"),
        "agencies[1].email",
        "email: kel-gambir.queue.tanggap.example",
        "is not an e-mail address",
    ),
    # A key given twice: YAML's loaders keep the last value, which would silently replace the
    # whole routing table or an agency's address.
    "duplicate_top_key": (
        MINI + "routing: []\n",
        "routing",
        "routing: []",
        "duplicate key 'routing' (first at line",
    ),
    "duplicate_agency_email": (
        mini(
            "    email: kel-gambir.queue@tanggap.example\n",
            "    email: kel-gambir.queue@tanggap.example\n    email: other@tanggap.example\n",
        ),
        "agencies[1].email",
        "email: other@tanggap.example",
        "duplicate key 'email'",
    ),
}


def test_parse_catalogue_minimal_file_valid() -> None:
    spec = parse_catalogue(MINI)
    assert [a.code for a in spec.areas][-1] == "31.71.01.1001"


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_load_catalogue_bad_file_names_key_and_line_writes_nothing(desk, case: str) -> None:
    text, path, line_text, words = BAD_FILES[case]
    desk.submit()
    before = row_counts(desk.session)
    traffic_jam = category(desk.session, "traffic_jam")

    with pytest.raises(CatalogueError) as raised:
        reload(desk, text)

    where = f"jakarta.yaml:{line_of(text, line_text)}: "
    expected = where + (f"{path}: " if path else "")
    assert expected in raised.value.message
    assert words in raised.value.message
    assert row_counts(desk.session) == before
    assert traffic_jam.active
    assert category(desk.session, "pollution").name_en == "Air or water pollution"


def test_parse_catalogue_several_mistakes_all_reported() -> None:
    text = edit(TRAFFIC_JAM, TRAFFIC_JAM.replace("DISHUB", "DISHUBB")).replace(
        '"31.71.01.1001"          # Kel. Gambir', '"31.71.01.9999"'
    )

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")

    # The real file, so the line numbers are those an operator sees in the shipped catalogue.
    agency_line, area_line = line_of(text, "agency: DISHUBB"), line_of(text, "31.71.01.9999")
    assert raised.value.message.splitlines() == [
        f"jakarta.yaml:{agency_line}: categories[0].agency: unknown agency 'DISHUBB'",
        f"jakarta.yaml:{area_line}: routing[{GAMBIR_GARBAGE}].area: unknown area '31.71.01.9999'",
    ]


KOTA_GOVERNOR = "name_id: kota dan gubernur, name_en: city and governor,"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ('name_en: "city\\x1b[31m and governor",', "control character"),
        ("name_en: " + "x" * 81 + ",", "the limit is 80"),
        ("name_en: '   ',", "is empty"),
    ],
)
def test_ladder_level_words_follow_the_text_rules(words: str, message: str) -> None:
    text = edit(KOTA_GOVERNOR, "name_id: kota dan gubernur, " + words)
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    assert (
        f"jakarta.yaml:{line_of(text, 'name: kota_governor')}: ladders[1].levels[2].name_en: "
        in (raised.value.message)
    )
    assert message in raised.value.message
    # the key as the file writes it, in plain words: no "Value error," nor the limit's name
    assert "Value error" not in raised.value.message and "level_words" not in raised.value.message


def test_ladder_level_words_reach_the_policy_book(desk) -> None:
    book = load_policy_book(desk.session)
    assert book.level_words("kota_governor", "id") == "kota dan gubernur"
    assert book.level_words("kecamatan", "en") == "district (kecamatan)"


def test_parse_catalogue_control_character_names_line_and_column() -> None:
    text = mini("name_en: Garbage pile", "name_en: Garbage\x1b pile")
    line = line_of(text, "Garbage\x1b")
    column = text.splitlines()[line - 1].index("\x1b") + 1

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")

    assert raised.value.message == (
        f"jakarta.yaml:{line}:{column}: not valid YAML: character #x001b is not allowed "
        "(a control character)"
    )


def test_parse_catalogue_duplicate_key_names_both_lines() -> None:
    """The admin API's reload (PUT /api/v1/admin/catalogue) parses with this same function."""
    text = MINI + "routing: []\n"

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="api upload")

    assert raised.value.message == (
        f"api upload:{line_of(text, 'routing: []')}: routing: duplicate key 'routing' "
        f"(first at line {MINI.splitlines().index('routing:') + 1}); "
        "give each key once"
    )


def test_every_shipped_yaml_file_has_each_key_once() -> None:
    """The web pages' messages (api/web/i18n), prefect.yaml and the catalogue files: none has a
    key given twice, which a plain YAML loader would silently resolve to the last value."""
    root = Path(__file__).resolve().parents[2]
    files = sorted(
        path
        for pattern in ("catalogue/*.yaml", "api/web/i18n/*/*.yaml", "prefect.yaml")
        for path in root.glob(pattern)
    )
    assert len(files) >= 19
    for path in files:
        read_yaml(path.read_text(encoding="utf-8"), source=str(path))  # raises on a duplicate


def test_a_duplicate_code_is_listed_with_the_schema_s_problems() -> None:
    """A name with a control character (the schema's problem) and a category code given twice
    (a cross-check's): both are listed at once, not the duplicate only once the name is mended."""
    text = mini("name_en: Garbage pile", 'name_en: "Garbage\\x1b pile"').replace(
        "  - code: pollution\n", "  - code: garbage_pile\n"
    )
    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")
    lines = raised.value.message.splitlines()
    twice = [n for n, line in enumerate(text.splitlines(), 1) if "code: garbage_pile" in line]
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"jakarta.yaml:{line_of(text, 'Garbage')}: categories[0].name_en: ")
    assert "control character" in lines[0]
    assert lines[1] == (
        f"jakarta.yaml:{twice[1]}: categories[1].code: duplicate code 'garbage_pile'"
    )


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("WITA", "Asia/Makassar"), ("wib", "Asia/Jakarta"), ("asia/jayapura", "Asia/Jayapura")],
)
def test_parse_catalogue_calendar_zone_takes_the_words_staff_zones_take(
    typed: str, kept: str
) -> None:
    # One rule for a typed zone (engine.zones): TANGGAP_TIMEZONE, a staff member's, a calendar's.
    text = SHIPPED.replace("timezone: Asia/Jakarta", f"timezone: {typed}", 1)
    assert text != SHIPPED
    zones = {c.timezone for c in parse_catalogue(text).calendars}
    assert kept in zones
    with pytest.raises(CatalogueError, match="unknown time zone 'Mars/Olympus'"):
        parse_catalogue(text.replace(f"timezone: {typed}", "timezone: Mars/Olympus", 1))
