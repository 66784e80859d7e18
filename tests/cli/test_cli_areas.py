"""``tanggap areas``: what an operator runs to import the city's boundaries and to check where a
report lands ("it went to the wrong office")."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import context
from cli.main import app
from engine.db import Database

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = Path(
    os.environ.get("TANGGAP_BOUNDARIES_FILE")
    or ROOT.parent / "shared" / "real_data" / "dki_jakarta_wilayah_kemendagri.geojson"
)
#: Outside CI the boundary file may not be beside the checkout; in CI it must be.
needs_official = pytest.mark.skipif(
    not OFFICIAL.exists() and not os.environ.get("CI"),
    reason="the official boundary file is not here: set TANGGAP_BOUNDARIES_FILE to a copy",
)
MAPPING = ROOT / "catalogue" / "kemendagri-boundaries.yaml"


def run(runner: CliRunner, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def _use(monkeypatch: pytest.MonkeyPatch, url: str, media: Path) -> None:
    monkeypatch.setenv("TANGGAP_DATABASE_URL", url)
    monkeypatch.setenv("TANGGAP_MEDIA_DIR", str(media))
    context.reset()
    monkeypatch.setattr(context.console, "width", 240)


@pytest.fixture
def on_official(
    official_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    """The CLI on the suite's database with the official boundaries (read, or no-op import)."""
    _use(monkeypatch, official_database.url, tmp_path / "media")
    yield CliRunner()
    context.reset()


@pytest.fixture
def on_fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The CLI on a new, empty SQLite database of its own (imports here commit)."""
    _use(monkeypatch, f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "media")
    runner = CliRunner()
    run(runner, "db", "upgrade")
    run(runner, "config", "load", str(ROOT / "catalogue" / "jakarta.yaml"))
    yield runner
    context.reset()


def counts(output: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r"^(\S+\.\w+)\s+(\d+)$", output, re.MULTILINE)}


@needs_official
def test_cli_areas_import_official_file_then_again_unchanged(on_fresh: CliRunner) -> None:
    out = run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))

    assert counts(out) == {"area.created": 277, "area.updated": 40, "area_office.created": 277}
    assert "warning" not in out  # the whole city: no catalogue area is left outside

    again = run(
        on_fresh, "areas", "import", str(OFFICIAL),
        "--code", "kode", "--name", "nama", "--level", "tingkat", "--levels", "kabkota=kota",
    )  # fmt: skip
    assert again.strip() == f"{OFFICIAL}: areas unchanged"


@needs_official
def test_cli_areas_import_bad_file_one_clear_error_nothing_written(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.geojson"
    features = json.loads(OFFICIAL.read_bytes())["features"][:3]
    features[2]["properties"]["tingkat"] = "dusun"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    out = run(on_fresh, "areas", "import", str(bad), "--mapping", str(MAPPING), code=2)

    assert out.startswith(f"error: {bad}: features[2] (31.72): level 'dusun' (property 'tingkat')")
    listing = run(on_fresh, "areas", "list", "--level", "kota")
    assert "6 areas" in listing
    assert "boundaries" not in listing


def test_cli_areas_list_shows_file_names_as_text(on_fresh: CliRunner, tmp_path: Path) -> None:
    square = [[[120.0, -1.0], [120.01, -1.0], [120.01, -0.99], [120.0, -0.99], [120.0, -1.0]]]
    file = tmp_path / "k.geojson"
    file.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {
                            "code": "K9",
                            "name": "[bold]Kampung[/bold]",
                            "level": "kota",
                        },
                        "geometry": {"type": "Polygon", "coordinates": square},
                    }
                ],
            }
        )
    )
    run(on_fresh, "areas", "import", str(file), "--deactivate-missing")  # far from Jakarta

    out = run(on_fresh, "areas", "list", "--level", "kota")

    assert "[bold]Kampung[/bold]" in out
    assert "KOTA-K9" in out


def test_cli_areas_import_says_which_office_addresses_a_rename_changed(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    """An area renamed in the file renames its generated office's addresses (the rule builds
    them from the name): mail to the old mailbox stops, so the import names both."""
    square = [[[120.0, -1.0], [120.01, -1.0], [120.01, -0.99], [120.0, -0.99], [120.0, -1.0]]]
    file = tmp_path / "k.geojson"

    def write(name: str) -> None:
        feature = {
            "type": "Feature",
            "properties": {"code": "K9", "name": name, "level": "kota"},
            "geometry": {"type": "Polygon", "coordinates": square},
        }
        file.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    far = "--deactivate-missing"  # a city far from Jakarta's catalogue areas
    write("Kampung")
    assert "office addresses changed" not in run(on_fresh, "areas", "import", str(file), far)
    write("Kampung [b]Baru[/b]")

    out = run(on_fresh, "areas", "import", str(file), far)

    assert (
        "office addresses changed: KOTA-K9 Kantor Kampung [b]Baru[/b]: "
        "queue kota-kampung.queue@tanggap.example → kota-kampung-b-baru-b.queue@tanggap.example; "
        "head kota-kampung.head@tanggap.example → kota-kampung-b-baru-b.head@tanggap.example"
    ) in " ".join(out.split())


def test_cli_areas_import_refuses_then_warns_of_catalogue_areas_the_file_leaves_outside(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    """Imported boundaries alone place reports: a file of one area far away (or one kelurahan)
    silently turned the rest of the city into "outside every service area". Refused unless
    the file is meant to replace the city's areas; then imported, with a warning."""
    square = [[[120.0, -1.0], [120.01, -1.0], [120.01, -0.99], [120.0, -0.99], [120.0, -1.0]]]
    file = tmp_path / "one.geojson"
    feature = {
        "type": "Feature",
        "properties": {"code": "K9", "name": "Kampung", "level": "kota"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }
    file.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))

    for dry in ((), ("--dry-run",)):
        refused = run(on_fresh, "areas", "import", str(file), *dry, code=2)
        assert refused.startswith(f"error: nothing imported: {file} covers none of 19 catalogue")
        assert refused.rstrip().endswith("import it with --deactivate-missing")
    assert "inside 31.71.01.1001" in run(on_fresh, "areas", "locate", "-6.1754", "106.8272")

    out = run(on_fresh, "areas", "import", str(file), "--deactivate-missing")

    warning = next(line for line in out.splitlines() if line.startswith("warning:"))
    assert "imported boundaries alone now place reports" in warning
    found = re.search(r"none of (\d+) catalogue areas: (.*?)(?: and (\d+) more)?\. Reports", out)
    assert found is not None, out
    assert int(found.group(1)) == 19 and found.group(3) == "9"
    assert "31.71.01.1001" in found.group(2)  # Gambir
    assert "Reports there are refused as outside every service area" in out
    # What the warning says: Monas, in the catalogue's Gambir, is now outside.
    monas = run(on_fresh, "areas", "locate", "-6.1754", "106.8272", code=2)
    assert "is outside every service area of this city" in monas


def test_cli_areas_list_has_json_as_every_listing_does(on_fresh: CliRunner) -> None:
    """README: every listing has --json for scripts; `areas list` had none."""
    out = run(on_fresh, "areas", "list", "--level", "kota", "--json")
    rows = json.loads(out)
    assert len(rows) == 6
    assert set(rows[0]) == {
        "code",
        "name",
        "title",
        "level",
        "parent",
        "office",
        "origin",
        "active",
    }
    assert {row["level"] for row in rows} == {"kota"}
    assert all(row["parent"] for row in rows) and all(row["active"] is True for row in rows)
    assert "areas" not in out.splitlines()[-1]  # no "6 areas" footer in the JSON


def test_cli_areas_locate_prints_chain_with_offices(on_official: CliRunner) -> None:
    out = run(on_official, "areas", "locate", "-6.1754", "106.8272")

    assert [line.split()[:2] for line in out.splitlines()[:4]] == [
        ["kelurahan", "31.71.01.1001"],
        ["kecamatan", "31.71.01"],
        ["kota", "31.71"],
        ["province", "31"],
    ]
    assert "Gambir  — office KEL-GAMBIR <kel-gambir.head@tanggap.example>" in out
    assert out.splitlines()[-1] == "inside 31.71.01.1001"


@needs_official
def test_cli_areas_name_the_kelurahan_and_the_kecamatan_apart_after_the_import(
    on_official: CliRunner,
) -> None:
    """The file names both "Gambir"; the operator reads them titled, scripts get both."""
    located = run(on_official, "areas", "locate", "-6.1754", "106.8272").splitlines()
    listed = json.loads(run(on_official, "areas", "list", "--level", "kecamatan", "--json"))
    table = run(on_official, "areas", "list", "--level", "kelurahan")
    shown = json.loads(run(on_official, "catalogue", "show", "areas", "--json"))

    assert [" ".join(line.split()[2:4]) for line in located[:3]] == [
        "Kelurahan Gambir",
        "Kecamatan Gambir",
        "Kota Administrasi",
    ]
    assert located[2].split("  — ")[0].endswith("Kota Administrasi Jakarta Pusat")
    (gambir,) = [row for row in listed if row["code"] == "31.71.01"]
    assert (gambir["name"], gambir["title"]) == ("Gambir", "Kecamatan Gambir")
    (row,) = [line for line in table.splitlines() if "31.71.01.1001 " in line]
    assert "Kelurahan Gambir" in row and "Kelurahan Kelurahan" not in table
    titles = {row["code"]: row["title"] for row in shown}
    assert (titles["31.71.01.1001"], titles["31.71"]) == (
        "Kelurahan Gambir",
        "Kota Administrasi Jakarta Pusat",
    )


def test_cli_areas_locate_harbour_point_nearest_within_tolerance(on_official: CliRunner) -> None:
    out = run(on_official, "areas", "locate", "-6.1050", "106.8830")

    assert out.splitlines()[0].split()[:2] == ["kelurahan", "31.72.02.1001"]
    assert out.splitlines()[-1] == (
        "in no area; nearest is 31.72.02.1001, 74 m away (tolerance 100 m)"
    )


def test_cli_areas_locate_depok_refused(on_official: CliRunner) -> None:
    out = run(on_official, "areas", "locate", "-6.4025", "106.7942", code=2)

    assert out.strip() == (
        "error: location -6.40250, 106.79420 is outside every service area of this city; "
        "the nearest area is 4.2 km away"
    )


def test_cli_areas_list_kecamatan_all_44_with_parents_and_offices(
    on_official: CliRunner,
) -> None:
    out = run(on_official, "areas", "list", "--level", "kecamatan")

    rows = [line for line in out.splitlines() if re.search(r"\b31\.\d\d\.\d\d\b", line)]
    assert len(rows) == 44
    assert out.strip().endswith("44 areas")
    tebet = next(row for row in rows if "31.74.01 " in row)
    assert "Tebet" in tebet and "KEC-TEBET" in tebet and "31.74 " in tebet
    senen = next(row for row in rows if "31.71.04 " in row)
    assert "KEC-31.71.04" in senen  # made by the catalogue's area office rule


FEATURE = {
    "type": "Feature",
    "properties": {"code": "31.71.01.9", "name": "Contoh"},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[106.8, -6.2], [106.81, -6.2], [106.81, -6.19], [106.8, -6.2]]],
    },
}
GEOJSON = json.dumps({"type": "FeatureCollection", "features": [FEATURE]})


NOT_UTF8 = (
    "tanggap {cmd}: Invalid value for '{p}': {f} is not UTF-8 text (line 1); save it as UTF-8"
)

NOT_A_DATE = "; write a real date (YYYY-MM-DD), or put it in quotes if it is meant as text"


@pytest.mark.parametrize(
    ("command", "name", "content", "expected"),
    [
        ("mapping", "m.yaml", b"code: kode\nname: [nama\nlevel: x\n",
         "{f}:3: not valid YAML: "
         "expected ',' or ']', but got ':'"),
        ("mapping", "m.yaml", b'code: "kode\n', "{f}:2: not valid YAML: "
         "found unexpected end of stream"),
        ("mapping", "m.yaml", b"\t- x\n", "{f}:1: not valid YAML: "
         "found character '\\t' that cannot start any token"),
        ("mapping", "m.yaml", b"code: k\xe9\n", NOT_UTF8),
        ("mapping", "m.yaml", b"\xff\xfec\x00",
         "tanggap {cmd}: Invalid value for '{p}': {f} is UTF-16 text; save it as UTF-8"),
        ("geojson", "a.geojson", b'{"type": "FeatureCollection", "features": [\n',
         "{f}:2:1: not valid JSON: Expecting value"),
        ("config", "c.yaml", b"agencies:\n  - code: [x\n", "{f}:3: not valid YAML: "
         "did not find expected ',' or ']'"),
        ("config", "c.yaml", b"a: 1\n---\nb: 2\n",
         "{f}:2: not valid YAML: "
         "expected a single document in the stream, but found another document"),
        ("config", "c.yaml", b"a: \xc3\n", NOT_UTF8),
        ("config", "c.yaml", b"version: 1\nareas:\n  - name: Gam\x1bbir\n", "{f}:3:14: not valid "
         "YAML: character #x001b is not allowed (a control character)"),
        ("config", "c.yaml", b"version: 1\nareas: []\nareas: []\n", "{f}:3: areas: duplicate key "
         "'areas' (first at line 2); give each key once"),
        ("mapping", "m.yaml", b"code: kode\nlevels:\n  desa: kelurahan\n  desa: kota\n",
         "{f}:4: levels.desa: duplicate key 'desa' (first at line 3); give each key once"),
        # An unquoted date PyYAML reads as a timestamp, impossible as one: it raised a bare
        # ValueError ("unexpected ValueError", exit 1, no file nor line).
        ("config", "c.yaml", b"version: 1\ncalendars:\n  - code: WIB\n    closed_dates: "
         b"[2026-13-45]\n", "{f}:4: calendars[0].closed_dates[0]: '2026-13-45' is not a date "
         "(month must be in 1..12)" + NOT_A_DATE),
        ("config", "c.yaml", b"version: 1\ncalendars:\n  - code: WIB\n    closed_dates:\n"
         b"      - 2026-02-28\n      - 2026-02-30\n", "{f}:6: calendars[0].closed_dates[1]: "
         "'2026-02-30' is not a date (day is out of range for month)" + NOT_A_DATE),
        ("config", "c.yaml", b"version: 1\nagencies:\n  - code: DBM\n    name: 2026-02-30\n",
         "{f}:4: agencies[0].name: '2026-02-30' is not a date (day is out of range for month)"
         + NOT_A_DATE),
        ("config", "c.yaml", b"version: 1\nagencies:\n  - code: !!int DBM\n",
         "{f}:3: agencies[0].code: 'DBM' is not a valid !!int (invalid literal for int() with "
         "base 10: 'DBM')"),
        ("mapping", "m.yaml", b"code: 2026-02-30\nname: nama\n", "{f}:1: code: '2026-02-30' "
         "is not a date (day is out of range for month)" + NOT_A_DATE),
        ("mapping", "m.yaml", b"code: kode\nlevels:\n  desa: !!bool kadang\n",
         "{f}:3: levels.desa: 'kadang' is not a valid !!bool"),
    ],
)  # fmt: skip
def test_cli_file_that_does_not_parse_is_one_line_naming_file_and_line(
    tanggap: CliRunner, tmp_path: Path, command: str, name: str, content: bytes, expected: str
) -> None:
    """README: every mistake is one line on stderr — PyYAML's multi-line report included."""
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.geojson"
    good.write_text(GEOJSON)
    args = {
        "mapping": ["areas", "import", str(good), "--mapping", str(bad)],
        "geojson": ["areas", "import", str(bad)],
        "config": ["config", "load", str(bad)],
    }[command]
    result = tanggap.invoke(app, args, prog_name="tanggap")
    assert result.exit_code == 2
    param = "--mapping" if command == "mapping" else "file"  # the argument or option, then the file
    shown = expected.format(f=bad, cmd=" ".join(args[:2]), p=param)
    assert result.stderr == f"error: {shown}\n"


def test_cli_areas_import_without_level_property_names_option_not_none(
    tanggap: CliRunner, tmp_path: Path
) -> None:
    file = tmp_path / "areas.geojson"
    file.write_text(GEOJSON)
    result = tanggap.invoke(app, ["areas", "import", str(file)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {file}: features[0] (31.71.01.9): no property 'level' for the level; name the "
        "property holding each area's level word with --level PROPERTY\n"
    )
    assert "None" not in result.stderr


@pytest.mark.parametrize(
    ("point", "message"),
    [
        (["1e309", "5"], "error: lat must be between -90 and 90"),
        (["nan", "nan"], "error: lat is not a number; give a number between -90 and 90"),
        (["-6.17", "NaN"], "error: lon is not a number; give a number between -180 and 180"),
        (["91", "200"], "error: lat must be between -90 and 90"),
        (["-6.17", "200"], "error: lon must be between -180 and 180"),
        (["-6.17", "-inf"], "error: lon must be between -180 and 180"),
    ],
)
def test_cli_areas_locate_odd_numbers_one_line_naming_lat_or_lon(
    on_fresh: CliRunner, point: list[str], message: str
) -> None:
    out = run(on_fresh, "areas", "locate", *point, code=2)

    assert out.strip() == message  # one line: no warning, no "unexpected" error


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ticket", "submit", "--category", "flood", "--description", "banjir", "--lat", "nan",
             "--lon", "106.8"],
            "ticket submit: --lat is not a number; give a number between -90 and 90",
        ),
        (
            ["ticket", "submit", "--category", "flood", "--description", "banjir", "--lat", "-6.1",
             "--lon", "NAN"],
            "ticket submit: --lon is not a number; give a number between -180 and 180",
        ),
        (
            ["ticket", "list", "--at-risk", "nan"],
            "ticket list: --at-risk is not a number; give a number more than 0 and at most 2,160",
        ),
        (
            ["ticket", "submit", "--category", "flood", "--description", "banjir", "--lat", "inf",
             "--lon", "106.8"],
            "ticket submit: --lat must be between -90 and 90",
        ),
    ],
)  # fmt: skip
def test_cli_nan_option_is_named_not_a_number(
    on_fresh: CliRunner, args: list[str], message: str
) -> None:
    out = run(on_fresh, *args, code=2).strip()
    assert out.startswith("error: ") and out.endswith(f" {message}")  # the program's name first
    assert "less than or equal" not in out


def _official_file(tmp_path: Path, name: str, *codes: str, add: list[dict] | None = None) -> Path:
    """A copy of the official file holding only ``codes`` (all of it when none), plus ``add``."""
    features = json.loads(OFFICIAL.read_bytes())["features"]
    if codes:
        features = [f for f in features if f["properties"]["kode"] in codes]
    path = tmp_path / name
    document = {"type": "FeatureCollection", "features": features + (add or [])}
    path.write_text(json.dumps(document))
    return path


def _active(runner: CliRunner) -> list[str]:
    return [row["code"] for row in json.loads(run(runner, "areas", "list", "--json"))]


def _renamed_file(tmp_path: Path) -> Path:
    """The official file with Kelurahan Baru (31.75.05.1002) renamed "Baru Raya"."""
    features = json.loads(OFFICIAL.read_bytes())["features"]
    for feature in features:
        if feature["properties"]["kode"] == "31.75.05.1002":
            feature["properties"]["nama"] = "Baru Raya"
    renamed = tmp_path / "renamed.geojson"
    renamed.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return renamed


ONE_KELURAHAN = ("--code", "kode", "--name", "nama", "--level", "tingkat")
PLUIT = ("-6.1180", "106.7900")


@needs_official
def test_cli_areas_import_of_one_kelurahan_refused_city_stays_online(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    """A tester's HIGH finding: `areas import one.geojson` of one kelurahan exited 0 with
    `area.deactivated 316`, `area_office.deactivated 277`: the whole city went offline."""
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    before = _active(on_fresh)
    one = _official_file(tmp_path, "one.geojson", "31.71.01.1001")

    out = run(on_fresh, "areas", "import", str(one), *ONE_KELURAHAN, code=2)

    assert len(out.splitlines()) == 1, out
    assert out.startswith(
        f"error: nothing imported: {one} leaves out 316 active areas, which the import would "
        "deactivate (reports there would be refused as outside every service area): "
        "31.01 'Kabupaten Administrasi Kepulauan Seribu', 31.71 'Kota Administrasi Jakarta "
        "Pusat', "
    )
    assert " and 311 more. If the file is meant to replace them, import it with " in out
    assert "--deactivate-missing" in out
    assert _active(on_fresh) == before  # nothing written: 318 areas
    assert len(before) == 318
    pluit = run(on_fresh, "areas", "locate", *PLUIT)
    assert "inside 31.72.01.1005" in pluit
    monas = run(on_fresh, "areas", "locate", "-6.1754", "106.8272")
    assert "kecamatan  31.71.01" in monas and "kota       31.71 " in monas

    # Asked to deactivate the rest, it would still leave Gambir with no kecamatan: refused.
    orphan = run(on_fresh, "areas", "import", str(one), *ONE_KELURAHAN, "--deactivate-missing",
                 code=2)  # fmt: skip
    assert orphan == (
        f"error: nothing imported: {one} keeps 1 area active under a parent it leaves out, "
        "which --deactivate-missing would deactivate, leaving it with no kecamatan, kota or "
        "province above: 31.71.01.1001 'Kelurahan Gambir' under 31.71.01. Add 31.71.01 to "
        "the file\n"
    )
    assert _active(on_fresh) == before


@needs_official
def test_cli_areas_import_deactivate_missing_replaces_the_city(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    part = _official_file(tmp_path, "part.geojson", "31.71.01.1001", "31.71.01", "31.71")

    out = run(on_fresh, "areas", "import", str(part), "--mapping", str(MAPPING),
              "--deactivate-missing")  # fmt: skip

    assert counts(out)["area.deactivated"] == 314
    assert "area_office.deactivated" in counts(out)
    assert _active(on_fresh) == ["31", "31.71", "31.71.01", "31.71.01.1001"]
    monas = run(on_fresh, "areas", "locate", "-6.1754", "106.8272")
    assert "kecamatan  31.71.01" in monas and "kota       31.71 " in monas
    run(on_fresh, "areas", "locate", *PLUIT, code=2)  # outside now: what was asked for

    back = run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    assert counts(back)["area.updated"] == 314


@needs_official
def test_cli_areas_import_dry_run_says_what_would_change_writes_nothing(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    before = _active(on_fresh)
    part = _official_file(tmp_path, "part.geojson", "31.71.01.1001", "31.71.01", "31.71")

    out = run(on_fresh, "areas", "import", str(part), "--mapping", str(MAPPING),
              "--deactivate-missing", "--dry-run")  # fmt: skip

    assert counts(out)["area.deactivated"] == 314
    assert out.splitlines()[-1] == (
        "dry run: nothing was written; the lines above say what the import would do"
    )
    assert _active(on_fresh) == before
    assert "inside 31.72.01.1005" in run(on_fresh, "areas", "locate", *PLUIT)
    # A dry run is refused as the import itself would be.
    one = _official_file(tmp_path, "one.geojson", "31.71.01.1001")
    refused = run(on_fresh, "areas", "import", str(one), *ONE_KELURAHAN, "--dry-run", code=2)
    assert "leaves out 316 active areas" in refused
    # A rename: the offices whose addresses would change are named; none is changed.
    renamed = _renamed_file(tmp_path)
    out = run(on_fresh, "areas", "import", str(renamed), "--mapping", str(MAPPING), "--dry-run")
    assert counts(out) == {"area.updated": 1, "area_office.updated": 1}
    assert "office addresses changed: KEL-31.75.05.1002 Kantor Kelurahan Baru Raya" in out
    rows = json.loads(run(on_fresh, "areas", "list", "--level", "kelurahan", "--json"))
    assert {r["code"]: r["name"] for r in rows}["31.75.05.1002"] == "Baru"


@needs_official
def test_cli_areas_import_dry_run_leaves_the_write_lock_to_the_service(
    on_fresh: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run on the database itself held SQLite's one write lock while it ran: every
    submission and flow waited for it, then failed "database is locked". It works on a copy."""
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    renamed = _renamed_file(tmp_path)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    # The service, mid-write: it holds SQLite's write lock for the whole dry run.
    service = sqlite3.connect(tmp_path / "fresh.db", isolation_level=None, timeout=1)
    try:
        service.execute("BEGIN IMMEDIATE")
        service.execute("UPDATE areas SET name = 'Gambir Baru' WHERE code = '31.71.01'")

        out = run(on_fresh, "areas", "import", str(renamed), "--mapping", str(MAPPING),
                  "--dry-run")  # fmt: skip

        assert counts(out) == {"area.updated": 1, "area_office.updated": 1}
        assert "office addresses changed: KEL-31.75.05.1002 Kantor Kelurahan Baru Raya" in out
        service.execute("COMMIT")  # the service's write lands: the dry run never had the lock
    finally:
        service.close()
    names = {r["code"]: r["name"] for r in json.loads(run(on_fresh, "areas", "list", "--json"))}
    assert names["31.75.05.1002"] == "Baru" and names["31.71.01"] == "Gambir Baru"
    assert list(scratch.iterdir()) == []  # the copy is gone


@needs_official
def test_cli_areas_import_dry_run_names_the_folder_its_copy_cannot_be_made_in(
    on_fresh: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tester's report: a full temporary directory was "the database failed: database or
    disk is full", and an operator would think the city's database is full."""
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    renamed = _renamed_file(tmp_path)
    missing = tmp_path / "no-such-folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    out = run(on_fresh, "areas", "import", str(renamed), "--mapping", str(MAPPING), "--dry-run",
              code=2)  # fmt: skip
    assert out == (
        f"error: the dry run's copy of the database could not be made in {missing} (No such "
        "file or directory): it needs as much free space as the database; set TMPDIR to a "
        "folder with room\n"
    )

    room = tmp_path / "full"
    room.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(room))
    real = sqlite3.connect

    class _Full:
        def __init__(self, connection: sqlite3.Connection) -> None:
            self.connection = connection

        def backup(self, *_: object, **__: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        def close(self) -> None:
            self.connection.close()

    def connect(path: object, *args: object, **kwargs: object) -> object:
        made = real(path, *args, **kwargs)  # type: ignore[call-overload]
        return _Full(made) if str(path).endswith("fresh.db") else made

    monkeypatch.setattr(sqlite3, "connect", connect)
    out = run(on_fresh, "areas", "import", str(renamed), "--mapping", str(MAPPING), "--dry-run",
              code=2)  # fmt: skip
    assert out.startswith(f"error: the dry run's copy of the database could not be made in {room}")
    assert "(database or disk is full)" in " ".join(out.split())
    assert list(room.iterdir()) == []  # nothing left of the attempt


@needs_official
def test_cli_areas_import_dry_run_removes_the_copy_a_killed_one_left_behind(
    on_fresh: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dry run killed outright (SIGKILL) left a whole copy of the city's database, reporters'
    addresses included, in the temporary directory for good."""
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    dead = scratch / f"tanggap-scratch-{_ended_pid()}-abc"
    dead.mkdir()
    (dead / "scratch.db").write_bytes(b"reporters' addresses")
    alive = scratch / f"tanggap-scratch-{os.getppid()}-def"  # a dry run running now
    alive.mkdir()

    run(on_fresh, "areas", "import", str(_renamed_file(tmp_path)), "--mapping", str(MAPPING),
        "--dry-run")  # fmt: skip

    assert list(scratch.iterdir()) == [alive]


def _ended_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@needs_official
def test_cli_areas_import_of_a_file_that_only_adds_needs_no_option(
    on_fresh: CliRunner, tmp_path: Path
) -> None:
    run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING))
    square = [[[106.70, -6.30], [106.701, -6.30], [106.701, -6.299], [106.70, -6.299],
               [106.70, -6.30]]]  # fmt: skip
    new = {
        "type": "Feature",
        "properties": {"kode": "31.71.01.1099", "nama": "[red]Baru' Sekali[/red]",
                       "tingkat": "kelurahan"},
        "geometry": {"type": "Polygon", "coordinates": square},
    }  # fmt: skip
    more = _official_file(tmp_path, "more.geojson", add=[new])

    out = run(on_fresh, "areas", "import", str(more), "--mapping", str(MAPPING))

    assert counts(out) == {"area.created": 1, "area_office.created": 1}
    assert "31.71.01.1099" in _active(on_fresh)
    assert len(_active(on_fresh)) == 319
    # The full file again leaves the new one out: refused, naming it as data (no markup).
    again = run(on_fresh, "areas", "import", str(OFFICIAL), "--mapping", str(MAPPING), code=2)
    assert (
        "leaves out 1 active area, which the import would deactivate (reports there would be "
        "refused as outside every service area): 31.71.01.1099 \"Kelurahan [red]Baru' "
        'Sekali[/red]". If the file is meant to replace it, import it with --deactivate-missing'
    ) in again


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["config", "load", "/dev/zero"], "'file': /dev/zero is larger than the limit of 5 MB"),
        (["areas", "import", "/dev/zero"], "'file': /dev/zero is larger than the limit of 100 MB"),
        (
            ["areas", "import", "{good}", "--mapping", "/dev/zero"],
            "'--mapping': /dev/zero is larger than the limit of 5 MB",
        ),
        (
            ["ticket", "submit", "--category", "traffic_jam", "--description", "macet",
             "--lat", "-6.1754", "--lon", "106.8272", "--photo", "/dev/zero"],
            "'--photo': /dev/zero is larger than the limit of 8 MB",
        ),
    ],
)  # fmt: skip
def test_cli_a_file_that_never_ends_is_refused_at_its_limit(
    tanggap: CliRunner, tmp_path: Path, args: list[str], limit: str
) -> None:
    """A tester's report: ``ticket submit --photo /dev/zero`` never returned (1.75 GB read, then
    "unexpected MemoryError"); a regular file's size was checked, a device's was not. Every file
    the command line reads is read no further than one byte past its limit."""
    good = tmp_path / "good.geojson"
    good.write_text(GEOJSON)
    argv = [part.format(good=good) for part in args]
    result = tanggap.invoke(app, argv, prog_name="tanggap")
    assert result.exit_code == 2, result.output
    assert limit in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
