"""``tanggap areas``: import official boundaries, list areas, and explain where a point lands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from cli.choices import choice
from cli.context import (
    changed_or_tried,
    console,
    database,
    err_console,
    file_bytes,
    now,
    print_load_summary,
    print_rows,
    reported_errors,
    settings,
    text_file,
)
from engine.areas import (
    explain_point,
    import_boundaries,
    list_areas,
    offices_by_area,
)
from engine.boundaries import BOUNDARIES_LIMIT, BoundaryMapping, parse_level_words, parse_mapping
from engine.models import AreaLevel
from engine.routing import How, check_location

app = typer.Typer(help="Areas: official boundaries and where a point lands.", no_args_is_help=True)


def _mapping(
    mapping_file: Path | None,
    code: str | None,
    name: str | None,
    level: str | None,
    parent: str | None,
    levels: list[str] | None,
) -> BoundaryMapping:
    base = (
        parse_mapping(text_file(mapping_file, "--mapping"), source=str(mapping_file))
        if mapping_file
        else BoundaryMapping()
    )
    return BoundaryMapping(
        code=code or base.code,
        name=name or base.name,
        level=level or base.level,
        parent=parent or base.parent,
        levels={**base.levels, **parse_level_words(levels or [])},
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection (WGS84)")],
    mapping: Annotated[
        Path | None, typer.Option(help="YAML: code, name, level, parent, levels")
    ] = None,
    code: Annotated[str | None, typer.Option(help="property holding the area code")] = None,
    name: Annotated[str | None, typer.Option(help="property holding the name")] = None,
    level: Annotated[str | None, typer.Option(help="property holding the level word")] = None,
    parent: Annotated[
        str | None,
        typer.Option(help="property holding the parent's code (default: derived from the code)"),
    ] = None,
    levels: Annotated[
        list[str] | None,
        typer.Option("--levels", help="the file's level words, e.g. kabkota=kota (repeatable)"),
    ] = None,
    repair: Annotated[
        bool, typer.Option(help="repair invalid geometries (make_valid) instead of refusing")
    ] = True,
    deactivate_missing: Annotated[
        bool,
        typer.Option(
            "--deactivate-missing",
            help="the file replaces the city's areas: deactivate the imported areas it leaves "
            "out, and accept catalogue areas it leaves outside (reports there are then "
            "refused); without it such a file is refused",
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="check the file and say what would change; write nothing"),
    ] = False,
) -> None:
    """Import (or re-import) official area boundaries; the same file twice changes nothing.

    A file that leaves out active areas is refused unless --deactivate-missing is given."""
    with reported_errors():
        rules = _mapping(mapping, code, name, level, parent, levels)
        data = file_bytes(file, "file", limit=BOUNDARIES_LIMIT)
        moment = now()
        summary = changed_or_tried(
            lambda session: import_boundaries(
                session,
                data,
                rules,
                source=str(file),
                now=moment,
                repair=repair,
                deactivate_missing=deactivate_missing,
            ),
            dry_run=dry_run,
        )
    for area_code, reason in sorted(summary.repaired.items()):
        console.print(Text(f"repaired {area_code}: {reason}"))
    if summary.roots:
        console.print(Text(f"top areas (no parent): {', '.join(summary.roots)}"))
    if summary.left_outside:
        shown = ", ".join(summary.left_outside[:10])
        more = len(summary.left_outside) - 10
        err_console.print(
            Text(
                f"warning: imported boundaries alone now place reports, and they cover none of "
                f"{len(summary.left_outside)} catalogue areas: {shown}"
                + (f" and {more} more" if more > 0 else "")
                + ". Reports there are refused as outside every service area until a file "
                "covering them is imported."
            )
        )
    print_load_summary(summary, f"{file}: areas unchanged")
    if dry_run:
        console.print("dry run: nothing was written; the lines above say what the import would do")


@app.command("list")
def list_(
    level: Annotated[
        AreaLevel | None,
        typer.Option(
            help="province, kota, kecamatan or kelurahan", parser=choice("level", AreaLevel)
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="include deactivated areas")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON for scripts")] = False,
) -> None:
    """List areas with their parent and office."""
    with reported_errors(), database().reading() as session:
        offices = offices_by_area(session)
        areas = list_areas(session, level=level, include_inactive=all_)
        rows = [
            {
                "code": area.code,
                "name": area.name,
                "title": area.title,
                "level": area.level,
                "parent": area.parent.code if area.parent else None,
                "office": office.code if (office := offices.get(area.id)) else None,
                "origin": area.origin,
                "active": area.active,
            }
            for area in areas
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("code", "code"), ("title", "name"), ("level", "level"), ("parent", "parent"),
                 ("office", "office"), ("origin", "origin"), ("active", "active")],
        empty="no areas: load a catalogue or import boundaries (tanggap areas import)",
        render=lambda key, value: "yes" if value is True else "no" if value is False else
        ("-" if value is None else str(value)),
    )  # fmt: skip
    if not as_json and rows:
        console.print(f"{len(rows)} areas")


@app.command(
    "locate", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
def locate(
    lat: Annotated[float, typer.Argument(help="latitude, e.g. -6.1754")],
    lon: Annotated[float, typer.Argument(help="longitude, e.g. 106.8272")],
) -> None:
    """Where a report at LAT LON lands: kelurahan → kecamatan → kota, with their offices."""
    with reported_errors():
        check_location(lat, lon)  # the engine's one rule, before any database or geometry
    tolerance = settings().locate_tolerance_m
    with reported_errors(), database().reading() as session:
        report = explain_point(session, lat=lat, lon=lon, tolerance_m=tolerance)
        found = report.placement
        lines = [
            f"{area.level:10} {area.code:16} {area.title}"
            + (f"  — office {office.code} <{office.head_email}>" if office else "  — no office")
            for area, office in report.chain
        ]
        if found.how is How.INSIDE:
            how = f"inside {found.code}"
        elif found.how is How.OVERLAP:
            how = (
                f"inside {found.code} and {', '.join(found.also)} (overlap): {found.code} "
                "wins, the point lies deeper inside it"
            )
        else:
            how = (
                f"in no area; nearest is {found.code}, {found.distance_m:.0f} m away "
                f"(tolerance {tolerance:.0f} m)"
            )
    for line in lines:
        console.print(Text(line))
    console.print(Text(how))
