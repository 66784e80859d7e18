"""Importing a boundary file as a city publishes it: its property names and level words, Polygons
and MultiPolygons, geometries to repair, mistakes named by feature and code before anything is
written, and an office for every area from the catalogue's rule.

Small synthetic files of an imaginary city "99" (squares near 120° E), imported into the suite's
database inside each test's rolled-back transaction.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.areas import import_boundaries, list_areas
from engine.boundaries import BoundaryMapping, parent_code, parse_level_words, parse_mapping
from engine.catalogue import load_catalogue, parse_catalogue
from engine.errors import CatalogueError, RuleViolated
from engine.models import Agency, Area, AreaLevel, CatalogueRevision, Origin
from engine.routing import place

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SHIPPED = (Path(__file__).resolve().parents[2] / "catalogue" / "jakarta.yaml").read_text()
MAPPING = BoundaryMapping(code="kode", name="nama", level="tingkat")


def square(lon: float, lat: float, size: float = 0.01) -> list[list[list[float]]]:
    return [
        [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    ]


def feature(code: str, name: str, level: str, geometry: dict[str, Any], **extra: Any) -> dict:
    return {
        "type": "Feature",
        "properties": {"kode": code, "nama": name, "tingkat": level, **extra},
        "geometry": geometry,
    }


def polygon(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": square(lon, lat, size)}


def city(*extra: dict, drop: str | None = None) -> list[dict]:
    """Kota 99.01 ⊃ kecamatan 99.01.01 ⊃ kelurahan 99.01.01.1001 (west) and .1002 (east)."""
    features = [
        feature("99.01", "Kota Sembilan", "kabkota", polygon(120.0, -1.0, 0.02)),
        feature("99.01.01", "Tengah", "kecamatan", polygon(120.0, -1.0, 0.02)),
        feature("99.01.01.1001", "Barat", "kelurahan", polygon(120.0, -1.0, 0.01)),
        feature("99.01.01.1002", "Timur", "kelurahan", polygon(120.01, -1.0, 0.01)),
    ]
    return [f for f in features if f["properties"]["kode"] != drop] + list(extra)


def encode(features: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def run_import(
    session: Session, features: list[dict] | bytes, mapping: BoundaryMapping = MAPPING, **kw: Any
) -> Any:
    """Import the imaginary city beside the Jakarta catalogue: a file that leaves catalogue
    areas outside (all of Jakarta's) is imported only as the city's areas, so that is the
    default here (``deactivate_missing``); a test of a refusal passes False."""
    data = features if isinstance(features, bytes) else encode(features)
    kw.setdefault("deactivate_missing", True)
    return import_boundaries(session, data, mapping, source="kota99.geojson", now=NOW, **kw)


def counts(session: Session) -> tuple[int, int, int]:
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Area, Agency, CatalogueRevision)
    )


def area(session: Session, code: str) -> Area:
    return session.scalars(select(Area).where(Area.code == code)).one()


def office(session: Session, code: str) -> Agency:
    return session.scalars(select(Agency).where(Agency.code == code)).one()


# --- importing -------------------------------------------------------------------------------


def test_import_small_city_areas_parents_offices_and_summary(session) -> None:
    summary = run_import(session, city())

    assert summary.as_dict() == {"area.created": 4, "area_office.created": 4}
    assert summary.roots == ["99.01"]
    kel = area(session, "99.01.01.1002")
    assert (kel.name, kel.level, kel.parent.code, kel.origin) == (
        "Timur",
        "kelurahan",
        "99.01.01",
        Origin.BOUNDARIES,
    )
    assert area(session, "99.01").parent is None
    lurah = office(session, "KEL-99.01.01.1002")
    assert (lurah.name, lurah.email, lurah.head_email, lurah.area.code, lurah.kind) == (
        "Kantor Kelurahan Timur",
        "kel-timur.queue@tanggap.example",
        "kel-timur.head@tanggap.example",
        "99.01.01.1002",
        "area_office",
    )
    assert place(session, lat=-0.995, lon=120.015).code == "99.01.01.1002"
    revision = session.scalars(
        select(CatalogueRevision).order_by(CatalogueRevision.id.desc())
    ).first()
    assert revision is not None
    assert (revision.source, revision.summary) == ("kota99.geojson", summary.as_dict())


def test_import_same_file_twice_changes_nothing(session) -> None:
    run_import(session, city())
    before = counts(session)

    summary = run_import(session, city())

    assert summary.as_dict() == {}
    assert counts(session) == before


def test_import_renamed_kelurahan_updated_in_place_with_its_office(session) -> None:
    run_import(session, city())
    row_id = area(session, "99.01.01.1002").id
    renamed = city()
    renamed[3]["properties"]["nama"] = "Timur Raya"

    summary = run_import(session, renamed)

    assert summary.as_dict() == {"area.updated": 1, "area_office.updated": 1}
    assert (area(session, "99.01.01.1002").id, area(session, "99.01.01.1002").name) == (
        row_id,
        "Timur Raya",
    )
    lurah = office(session, "KEL-99.01.01.1002")
    assert (lurah.name, lurah.head_email) == (
        "Kantor Kelurahan Timur Raya",
        "kel-timur-raya.head@tanggap.example",
    )


def test_import_removed_kelurahan_deactivated_point_goes_to_neighbour_or_kecamatan(
    session,
) -> None:
    run_import(session, city())

    summary = run_import(session, city(drop="99.01.01.1001"), deactivate_missing=True)

    assert summary.as_dict() == {"area.deactivated": 1, "area_office.deactivated": 1}
    assert area(session, "99.01.01.1001").active is False
    assert office(session, "KEL-99.01.01.1001").active is False
    # The middle of the removed square is ~550 m from its neighbour: its kecamatan covers it.
    assert place(session, lat=-0.995, lon=120.005).code == "99.01.01"
    assert place(session, lat=-0.995, lon=120.0095).code == "99.01.01.1002"  # ~55 m away


def test_import_leaving_areas_out_refused_without_option_nothing_written(session) -> None:
    run_import(session, city())
    before = counts(session)

    with pytest.raises(RuleViolated) as refused:
        run_import(session, city(drop="99.01.01.1001"), deactivate_missing=False)

    assert refused.value.message == (
        "nothing imported: kota99.geojson leaves out 1 active area, which the import would "
        "deactivate (reports there would be refused as outside every service area): "
        "99.01.01.1001 'Kelurahan Barat'. If the file is meant to replace it, import it with "
        "--deactivate-missing"
    )
    assert counts(session) == before
    assert area(session, "99.01.01.1001").active is True
    assert place(session, lat=-0.995, lon=120.005).code == "99.01.01.1001"


def test_import_leaving_catalogue_areas_outside_refused_without_option(session) -> None:
    """A tester's report: a first import of one kelurahan took the rest of the city offline
    (imported boundaries alone place reports) with a warning and exit 0. Refused now unless the
    file is meant to replace the city's areas; nothing written."""
    before = counts(session)

    with pytest.raises(RuleViolated) as refused:
        run_import(session, city(), deactivate_missing=False)

    assert refused.value.code == "boundaries_leave_outside"
    message = refused.value.message
    assert message.startswith("nothing imported: kota99.geojson covers none of 19 catalogue areas")
    assert "reports there would be refused as outside every service area" in message
    assert message.endswith("import it with --deactivate-missing")
    assert counts(session) == before
    assert place(session, lat=-6.1754, lon=106.8272).code == "31.71.01.1001"  # Monas: Gambir


def test_import_never_leaves_an_area_active_under_a_parent_it_deactivates(session) -> None:
    """Even with deactivate_missing: a kelurahan kept while its kecamatan leaves the file (a
    feature below the file's top level, or an area of the catalogue the import does not own)
    would have no kecamatan or kota above it. Refused, naming it; nothing written."""
    run_import(session, city())
    kota, kelurahan = city()[0], city()[3]
    before = counts(session)

    with pytest.raises(RuleViolated) as refused:
        run_import(session, [kota, kelurahan], deactivate_missing=True)

    assert refused.value.code == "boundaries_would_orphan"
    assert "99.01.01.1002 'Kelurahan Timur' under 99.01.01. Add 99.01.01 to the file" in (
        refused.value.message
    )
    assert counts(session) == before
    assert area(session, "99.01.01.1002").parent == area(session, "99.01.01")

    sketch = Area(
        code="99.01.01.2001", name="Kelurahan Sketsa", level="kelurahan", depth=3,
        parent=area(session, "99.01.01"), geometry=polygon(120.0, -1.0, 0.005),
        min_lon=120.0, min_lat=-1.0, max_lon=120.005, max_lat=-0.995,
        origin=Origin.CATALOGUE.value,
    )  # fmt: skip
    session.add(sketch)
    session.flush()
    with pytest.raises(RuleViolated) as refused:
        run_import(session, [kota], deactivate_missing=True)
    assert "99.01.01.2001 'Kelurahan Sketsa' under 99.01.01" in refused.value.message
    assert area(session, "99.01.01").active is True


def test_import_multipolygon_both_parts_locate_to_it(session) -> None:
    islands = {"type": "MultiPolygon", "coordinates": [square(120.0, -1.0), square(120.05, -1.0)]}
    features = [
        feature("99.01", "Kepulauan", "kabkota", islands),
        feature("99.01.01", "Pulau", "kecamatan", islands),
        feature("99.01.01.1001", "Dua Pulau", "desa", islands),
    ]

    run_import(session, features)

    assert place(session, lat=-0.995, lon=120.005).code == "99.01.01.1001"
    assert place(session, lat=-0.995, lon=120.055).code == "99.01.01.1001"
    assert area(session, "99.01.01.1001").level == "kelurahan"  # "desa" is a kelurahan


BOW_TIE = {  # a ring that crosses itself: two triangles touching at (120.005, -0.995)
    "type": "Polygon",
    "coordinates": [
        [[120.0, -1.0], [120.01, -0.99], [120.01, -1.0], [120.0, -0.99], [120.0, -1.0]]
    ],
}


def test_import_self_crossing_ring_repaired_and_reported(session) -> None:
    features = city(feature("99.01.01.1003", "Simpul", "kelurahan", BOW_TIE), drop="99.01.01.1001")

    summary = run_import(session, features)

    assert list(summary.repaired) == ["99.01.01.1003"]
    assert "Self-intersection" in summary.repaired["99.01.01.1003"]
    assert area(session, "99.01.01.1003").geometry["type"] == "MultiPolygon"
    assert place(session, lat=-0.995, lon=120.001).code == "99.01.01.1003"  # left triangle


def test_import_self_crossing_ring_without_repair_refused_naming_code(session) -> None:
    features = city(feature("99.01.01.1003", "Simpul", "kelurahan", BOW_TIE))
    before = counts(session)

    with pytest.raises(CatalogueError) as raised:
        run_import(session, features, repair=False)

    assert raised.value.message == (
        "kota99.geojson: features[4] (99.01.01.1003): geometry is not valid "
        "(Self-intersection[120.005 -0.995]); repair is off"
    )
    assert counts(session) == before


FLAT = {
    "type": "Polygon",
    "coordinates": [[[120.0, -1.0], [120.01, -1.0], [120.02, -1.0], [120.0, -1.0]]],
}

#: name → (a change to the small city, the message it must produce)
BAD: dict[str, tuple[Any, str]] = {
    "flat-ring": (
        city(feature("99.01.01.1003", "Garis", "kelurahan", FLAT)),
        "features[4] (99.01.01.1003): geometry is not valid (Self-intersection[120.01 -1]) and "
        "cannot be repaired",
    ),
    "point-geometry": (
        city(
            feature(
                "99.01.01.1003", "Titik", "kelurahan", {"type": "Point", "coordinates": [120, -1]}
            )
        ),
        "features[4] (99.01.01.1003): geometry 'Point' is not a Polygon or MultiPolygon",
    ),
    "latitude-longitude-swapped": (
        city(feature("99.01.01.1003", "Tukar", "kelurahan", polygon(-1.0, 120.0))),
        "features[4] (99.01.01.1003): coordinates are not [longitude, latitude] in WGS84",
    ),
    "unknown-level-word": (
        city(feature("99.01.01.1003", "Dusun", "dusun", polygon(120.0, -1.0))),
        "features[4] (99.01.01.1003): level 'dusun' (property 'tingkat') is not a known level "
        "word; map it with --levels dusun=kelurahan",
    ),
    "duplicate-code": (
        city(feature("99.01.01.1002", "Lagi", "kelurahan", polygon(120.0, -1.0))),
        "features[4] (99.01.01.1002): duplicate code (also features[3])",
    ),
    "missing-name": (
        city(feature("99.01.01.1003", " ", "kelurahan", polygon(120.0, -1.0))),
        "features[4] (99.01.01.1003): the name (property 'nama') is empty",
    ),
    "control-character-in-name": (
        city(feature("99.01.01.1003", "Ba\x1b[2Jrat", "kelurahan", polygon(120.0, -1.0))),
        "features[4] (99.01.01.1003): the name (property 'nama') contains control character "
        "U+001B at character 3",
    ),
    "parent-nowhere": (
        city(feature("99.02.01.1001", "Yatim", "kelurahan", polygon(120.0, -1.0))),
        "features[4] (99.02.01.1001): parent '99.02.01' is not in the file or the database",
    ),
    "kelurahan-over-kecamatan": (
        city(feature("99.01.01.1001.7", "Anak", "kecamatan", polygon(120.0, -1.0))),
        "features[4] (99.01.01.1001.7): a kecamatan cannot lie under a kelurahan",
    ),
    # shapely said "Points of LinearRing do not form a closed linestring" for a NaN
    "nan-in-ring": (
        city(
            feature(
                "99.01.01.1003",
                "Kosong",
                "kelurahan",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[120.0, -1.0], [120.01, -1.0], [120.01, float("nan")], [120.0, -1.0]]
                    ],
                },
            )
        ),
        "features[4] (99.01.01.1003): geometry coordinates[0][2][1] is not a number",
    ),
    "infinity-in-ring": (
        city(
            feature(
                "99.01.01.1003",
                "Jauh",
                "kelurahan",
                {
                    "type": "Polygon",
                    "coordinates": [
                        [[120.0, -1.0], [float("inf"), -1.0], [120.01, -0.99], [120.0, -1.0]]
                    ],
                },
            )
        ),
        "features[4] (99.01.01.1003): geometry coordinates[0][1][0] is not a finite number",
    ),
    "not-json": (
        b'{"type": "FeatureCollection", "features": [',
        "kota99.geojson:1:44: not valid JSON: Expecting value",
    ),
    "not-a-collection": (b'{"type": "Feature"}', "not a GeoJSON FeatureCollection"),
    "projected-crs": (
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "EPSG:32748"}},
                "features": city(),
            }
        ).encode(),
        "coordinates must be WGS84 longitude/latitude (RFC 7946), not EPSG:32748",
    ),
    "office-address-shared": (
        city(feature("99.01.01.1003", "Timur", "kelurahan", polygon(120.0, -0.99))),
        "area_offices (kelurahan): the kelurahan office of 99.01.01.1003 (Timur) would share the "
        "address 'kel-timur.queue@tanggap.example' with 99.01.01.1002; put {code} or {digits}",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_import_bad_file_names_feature_and_code_writes_nothing(session, case: str) -> None:
    features, message = BAD[case]
    before = counts(session)

    with pytest.raises(CatalogueError) as raised:
        run_import(session, features)

    assert message in raised.value.message
    assert counts(session) == before


def test_import_several_mistakes_all_reported_at_once(session) -> None:
    features = city(
        feature("99.01.01.1003", "Titik", "kelurahan", {"type": "Point", "coordinates": [120, -1]}),
        feature("99.01.01.1004", "Dusun", "dusun", polygon(120.0, -1.0)),
    )

    with pytest.raises(CatalogueError) as raised:
        run_import(session, features)

    lines = raised.value.message.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "features[4] (99.01.01.1003)",
        "features[5] (99.01.01.1004)",
    ]


def test_import_parent_from_property_and_other_property_names(session) -> None:
    features = [
        {
            "type": "Feature",
            "properties": {"id": "A", "label": "Kota A", "kind": "kota", "up": None},
            "geometry": polygon(120.0, -1.0, 0.02),
        },
        {
            "type": "Feature",
            "properties": {"id": "A-1", "label": "Kec Satu", "kind": "district", "up": "A"},
            "geometry": polygon(120.0, -1.0, 0.02),
        },
        {
            "type": "Feature",
            "properties": {"id": "A-1-x", "label": "Desa X", "kind": "village", "up": "A-1"},
            "geometry": polygon(120.0, -1.0, 0.01),
        },
    ]
    mapping = BoundaryMapping(
        code="id",
        name="label",
        level="kind",
        parent="up",
        levels=parse_level_words(["district=kecamatan,village=kelurahan"]),
    )

    run_import(session, features, mapping)

    assert [
        (a.code, a.parent.code if a.parent else None)
        for a in list_areas(session)
        if a.code.startswith("A")
    ] == [
        ("A", None),
        ("A-1", "A"),
        ("A-1-x", "A-1"),
    ]


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("31.71.01.1001", "31.71.01"),
        ("31.71", "31"),
        ("3171011001", "317101"),
        ("317101", "3171"),
        ("3171", "31"),
        ("31", None),
        ("A-1", None),
    ],
)
def test_parent_code_from_kemendagri_code(code: str, parent: str | None) -> None:
    assert parent_code(code) == parent


def test_import_digit_codes_under_catalogue_province(session) -> None:
    features = [
        feature("3199", "Kota Digit", "kota", polygon(120.0, -1.0, 0.02)),
        feature("319901", "Kec Digit", "kecamatan", polygon(120.0, -1.0, 0.02)),
    ]

    summary = run_import(session, features)

    assert summary.roots == []
    assert area(session, "3199").parent.code == "31"  # the catalogue's province
    assert area(session, "319901").parent.code == "3199"


def test_parse_mapping_shipped_kemendagri_file() -> None:
    path = Path(__file__).resolve().parents[2] / "catalogue" / "kemendagri-boundaries.yaml"

    mapping = parse_mapping(path.read_text())

    assert (mapping.code, mapping.name, mapping.level, mapping.parent) == (
        "kode",
        "nama",
        "tingkat",
        None,
    )
    assert mapping.level_of("kabkota") is AreaLevel.KOTA


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("code: kode\ncolour: red\n", "unknown keys colour"),
        ("levels: {rw: dusun}\n", "'rw=dusun' is not WORD=LEVEL"),
        ("- kode\n", "expected a mapping"),
        ("code: kode\nname: nama\ncode: kd\n", "map.yaml:3: code: duplicate key 'code' \\(first"),
        ("levels:\n  kabkota: kota\n  kabkota: kecamatan\n", "map.yaml:3: levels.kabkota: dup"),
        ("code: ko\x1bde\n", "map.yaml:1:9: not valid YAML: character #x001b"),
    ],
)
def test_parse_mapping_bad_file_refused(text: str, words: str) -> None:
    with pytest.raises(CatalogueError, match=words):
        parse_mapping(text, source="map.yaml")


@pytest.mark.parametrize("typed", ["kabkota=Kota", "kabkota=KOTA", "kabkota= kota "])
def test_level_words_name_tanggap_s_level_as_codes_are_read(typed: str) -> None:
    """``--levels kabkota=Kota`` and a mapping file's ``kabkota: Kota`` mean the level kota,
    as every code is compared (``engine.text.code_key``)."""
    assert parse_level_words([typed]) == {"kabkota": AreaLevel.KOTA}
    mapping = parse_mapping(f"levels: {{{typed.replace('=', ': ')}}}\n", source="map.yaml")
    assert mapping.level_of("kabkota") is AreaLevel.KOTA


# --- the area office rule in the catalogue ---------------------------------------------------


def test_load_catalogue_without_office_rule_deactivates_generated_offices(session) -> None:
    run_import(session, city())
    start = SHIPPED.index("area_offices:\n")
    end = SHIPPED.index("# ---", SHIPPED.index("head_email", start))
    text = SHIPPED[:start] + SHIPPED[end:]

    summary = load_catalogue(session, text, now=NOW)

    assert summary.as_dict() == {"area_office.deactivated": 4, "area_office_rule.deactivated": 3}
    assert office(session, "KEL-99.01.01.1001").active is False
    assert area(session, "99.01.01.1001").active  # the areas are the import's, not the file's

    again = load_catalogue(session, SHIPPED, now=NOW)

    assert again.as_dict() == {"area_office.updated": 4, "area_office_rule.updated": 3}


def test_load_catalogue_office_of_its_own_replaces_generated_one(session) -> None:
    run_import(session, city())
    own = (
        "agencies:\n"
        "  - code: LURAH-BARAT\n"
        "    name: Kantor Lurah Barat\n"
        "    kind: area_office\n"
        '    area: "99.01.01.1001"\n'
        "    email: barat@tanggap.example\n"
        "    head_email: lurah.barat@tanggap.example\n"
    )

    summary = load_catalogue(session, SHIPPED.replace("agencies:\n", own, 1), now=NOW)

    assert summary.as_dict() == {"agency.created": 1, "area_office.deactivated": 1}
    assert office(session, "KEL-99.01.01.1001").active is False


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('code: "KEL-{code}"', 'code: "KEL-{kode}"', "unknown placeholder {kode}"),
        ('code: "KEL-{code}"', 'code: "KEL {code}"', "gives 'KEL 31.71.01.1001', not a valid"),
        (
            'email: "kel-{slug}.queue@tanggap.example"',
            'email: "kel-{slug}.queue"',
            "gives 'kel-kebon-kacang.queue', not an e-mail address",
        ),
        ("  - level: kecamatan\n", "  - level: kelurahan\n", "a second rule for kelurahan"),
    ],
)
def test_parse_catalogue_bad_office_rule_named_with_line(old: str, new: str, words: str) -> None:
    assert SHIPPED.count(old) == 1
    text = SHIPPED.replace(old, new)

    with pytest.raises(CatalogueError) as raised:
        parse_catalogue(text, source="jakarta.yaml")

    assert "area_offices[" in raised.value.message
    assert words in raised.value.message


def test_import_moved_boundary_points_follow_the_new_line(session) -> None:
    run_import(session, city())
    assert place(session, lat=-0.995, lon=120.008).code == "99.01.01.1001"
    moved = city()
    moved[2]["geometry"] = polygon(120.0, -1.0, 0.005)  # Barat shrinks to its western half…
    moved[3]["geometry"] = {  # … and Timur takes the rest
        "type": "Polygon",
        "coordinates": [
            [[120.005, -1.0], [120.02, -1.0], [120.02, -0.99], [120.005, -0.99], [120.005, -1.0]]
        ],
    }

    summary = run_import(session, moved)

    assert summary.as_dict() == {"area.updated": 2}
    assert place(session, lat=-0.995, lon=120.008).code == "99.01.01.1002"
    assert area(session, "99.01.01.1001").max_lon == pytest.approx(120.005)


def test_import_committed_elsewhere_seen_by_the_next_transaction(tmp_path: Path) -> None:
    from engine import schema
    from engine.db import Database
    from engine.errors import OutsideServiceArea

    db = Database(f"sqlite:///{tmp_path / 'two.db'}")
    schema.upgrade(db.engine)
    with db.transaction() as writer:
        load_catalogue(writer, SHIPPED, now=NOW)
    with db.reading() as reader:
        assert place(reader, lat=-6.1754, lon=106.8272).code == "31.71.01.1001"
        with pytest.raises(OutsideServiceArea):
            place(reader, lat=-0.995, lon=120.005)

        with db.transaction() as writer:  # another session (think: another process) imports
            run_import(writer, city())

        # Same transaction: its snapshot still has no city 99, and neither has its index.
        with pytest.raises(OutsideServiceArea):
            place(reader, lat=-0.995, lon=120.005)
    with db.reading() as reader:
        assert place(reader, lat=-0.995, lon=120.005).code == "99.01.01.1001"
    db.dispose()


def test_load_catalogue_dropping_its_office_hands_the_code_back_to_the_rule(session) -> None:
    run_import(session, city())
    own = (
        "agencies:\n"
        "  - code: KEL-99.01.01.1001\n"
        "    name: Kantor Lurah Barat (catalogue)\n"
        "    kind: area_office\n"
        '    area: "99.01.01.1001"\n'
        "    email: barat@tanggap.example\n"
        "    head_email: lurah.barat@tanggap.example\n"
    )
    load_catalogue(session, SHIPPED.replace("agencies:\n", own, 1), now=NOW)
    assert office(session, "KEL-99.01.01.1001").origin == Origin.CATALOGUE

    load_catalogue(session, SHIPPED, now=NOW)

    lurah = office(session, "KEL-99.01.01.1001")
    assert (lurah.active, lurah.origin, lurah.name, lurah.head_email) == (
        True,
        Origin.OFFICE_RULE,
        "Kantor Kelurahan Barat",
        "kel-barat.head@tanggap.example",
    )


def test_parse_mapping_nested_aliases_are_walked_once() -> None:
    """Each alias level doubles the paths through the document: the duplicate-key check must
    not walk them all (2**40 here), and the file is refused for what it is."""
    lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 41)]
    started = time.monotonic()
    with pytest.raises(CatalogueError, match="unknown keys"):
        parse_mapping("\n".join(lines) + "\n", source="map.yaml")
    assert time.monotonic() - started < 5


def test_every_problem_of_a_file_is_listed_at_once_with_a_duplicate_code(session: Session) -> None:
    """A control character in one name, a name of 5,000 characters in another, and a code
    given twice: all three are listed, also when the duplicated features are broken too."""
    features = city(
        feature("99.01.01.1003", "Ba\x1b[2Jrat", "kelurahan", polygon(120.0, -1.0)),
        feature("99.01.01.1004", "x" * 5000, "kelurahan", polygon(120.0, -1.0)),
        feature("99.01.01.1002", "Lagi", "kelurahan", polygon(120.0, -1.0)),
        feature("99.01.01.1003", "Ulang", "kelurahan", polygon(120.0, -1.0)),
    )
    before = counts(session)
    with pytest.raises(CatalogueError) as raised:
        run_import(session, features)
    assert raised.value.message.splitlines() == [
        "kota99.geojson: features[4] (99.01.01.1003): the name (property 'nama') contains "
        "control character U+001B at character 3; only one line of text allowed",
        "kota99.geojson: features[5] (99.01.01.1004): the name (property 'nama') has 5000 "
        "characters; the limit is 200",
        "kota99.geojson: features[6] (99.01.01.1002): duplicate code (also features[3])",
        "kota99.geojson: features[7] (99.01.01.1003): duplicate code (also features[4])",
    ]
    assert counts(session) == before


def test_a_broken_feature_under_a_duplicated_code_is_listed_with_both_problems(
    session: Session,
) -> None:
    features = city(feature("99.01.01.1002", "Lagi\x07", "kelurahan", polygon(120.0, -1.0)))
    with pytest.raises(CatalogueError) as raised:
        run_import(session, features)
    assert raised.value.message.splitlines() == [
        "kota99.geojson: features[4] (99.01.01.1002): the name (property 'nama') contains "
        "control character U+0007 at character 5; only one line of text allowed",
        "kota99.geojson: features[4] (99.01.01.1002): duplicate code (also features[3])",
    ]


def test_a_parent_problem_is_listed_with_the_features_own(session: Session) -> None:
    """A kelurahan whose parent is nowhere is listed beside a feature's own problem, not only
    once that is mended; a child of a broken feature is not blamed for its parent."""
    features = city(
        feature("99.01.01.1003", "Ba\x1b[2Jrat", "kelurahan", polygon(120.0, -1.0)),
        feature("99.02.01.1001", "Yatim", "kelurahan", polygon(120.0, -1.0)),
    )
    features[1]["properties"]["nama"] = "x" * 5000  # the kecamatan 99.01.01: its kelurahan
    before = counts(session)
    with pytest.raises(CatalogueError) as raised:
        run_import(session, features)
    assert raised.value.message.splitlines() == [
        "kota99.geojson: features[1] (99.01.01): the name (property 'nama') has 5000 "
        "characters; the limit is 200",
        "kota99.geojson: features[4] (99.01.01.1003): the name (property 'nama') contains "
        "control character U+001B at character 3; only one line of text allowed",
        "kota99.geojson: features[5] (99.02.01.1001): parent '99.02.01' is not in the file or "
        "the database",
    ]
    assert counts(session) == before
