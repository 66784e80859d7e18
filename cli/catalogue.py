"""``tanggap catalogue show …``: what the loaded catalogue holds, and the codes to type.

One command per section, each a query and a list of columns: a new section or an option for
one section (``areas --level``) is a function here.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import select

from cli.choices import choice
from cli.context import console, database, hanging, print_rows, reported_errors
from engine.models import Agency, Area, AreaLevel, Category, SlaPolicy

app = typer.Typer(help="The loaded service catalogue.", no_args_is_help=True)
show_app = typer.Typer(
    help="List areas, agencies, categories or SLA policies with their codes.",
    no_args_is_help=True,
)
app.add_typer(show_app, name="show")

Json = Annotated[bool, typer.Option("--json", help="JSON for scripts")]
Inactive = Annotated[
    bool, typer.Option("--all", help="include entries removed from the catalogue file")
]


def _text(_key: str, value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "all"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


LevelOption = Annotated[
    AreaLevel | None,
    typer.Option("--level", help="only areas of this level", parser=choice("level", AreaLevel)),
]


@show_app.command("areas")
def areas(as_json: Json = False, all_: Inactive = False, level: LevelOption = None) -> None:
    """Areas (province, kota, kecamatan, kelurahan) with their codes."""
    with reported_errors(), database().reading() as session:
        query = select(Area).order_by(Area.depth, Area.code)
        if level is not None:
            query = query.where(Area.level == level.value)
        rows = [
            {
                "code": a.code,
                "name": a.name,
                "title": a.title,
                "level": a.level,
                "parent": a.parent.code if a.parent else None,
                "active": a.active,
            }
            for a in session.scalars(query)
            if all_ or a.active
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("code", "code"), ("title", "name"), ("level", "level"), ("parent", "parent")],
        title="areas",
        empty="no areas: load a catalogue (tanggap config load FILE)",
        render=_text,
    )


@show_app.command("agencies")
def agencies(as_json: Json = False, all_: Inactive = False) -> None:
    """Agencies (dinas, area offices, …) with their codes and e-mail addresses."""
    with reported_errors(), database().reading() as session:
        rows = [
            {
                "code": g.code,
                "name": g.name,
                "kind": g.kind,
                "area": g.area.code,
                "email": g.email,
                "head_email": g.head_email,
                "active": g.active,
            }
            for g in session.scalars(select(Agency).order_by(Agency.code))
            if all_ or g.active
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("code", "code"), ("name", "name"), ("kind", "kind"), ("email", "e-mail")],
        title="agencies",
        empty="no agencies: load a catalogue (tanggap config load FILE)",
        render=_text,
    )


@show_app.command("categories")
def categories(as_json: Json = False, all_: Inactive = False) -> None:
    """Report categories with their codes, default agency and photo rules."""
    with reported_errors(), database().reading() as session:
        rows = [
            {
                "code": c.code,
                "name_en": c.name_en,
                "name_id": c.name_id,
                "group": c.group,
                "agency": c.agency.code,
                "default_priority": c.default_priority,
                "photo_on_submit": c.photo_on_submit,
                "photo_on_resolve": c.photo_on_resolve,
                "withheld_from_area_offices": c.withheld_from_area_offices,
                "public": c.public,
                "active": c.active,
            }
            for c in session.scalars(select(Category).order_by(Category.code))
            if all_ or c.active
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("code", "code"), ("name_en", "name"), ("agency", "agency"),
                 ("default_priority", "priority"), ("photo_on_submit", "photo"),
                 ("photo_on_resolve", "proof"), ("withheld_from_area_offices", "withheld"),
                 ("public", "public")],
        title="categories (photo: to report; proof: to resolve; withheld: from area offices)",
        empty="no categories: load a catalogue (tanggap config load FILE)",
        render=_text,
    )  # fmt: skip
    if rows and not as_json:
        # Folded between words, as the table above it: no word split at the terminal's edge.
        console.print(hanging("public no: only its reporter and staff see a report of it", 0))


@show_app.command("policies")
def policies(as_json: Json = False, all_: Inactive = False) -> None:
    """SLA policies in the order they are tried: first match of category × priority wins."""
    with reported_errors(), database().reading() as session:
        rows = [
            {
                "code": p.code,
                "categories": p.definition.get("categories", []),
                "priorities": p.definition.get("priorities", []),
                "calendar": p.definition.get("calendar"),
                "ladder": p.definition.get("ladder"),
                "targets": p.definition.get("targets", {}),
                "active": p.active,
            }
            for p in session.scalars(select(SlaPolicy).order_by(SlaPolicy.position))
            if all_ or p.active
        ]
    print_rows(
        rows,
        as_json=as_json,
        columns=[("code", "policy"), ("categories", "categories"), ("priorities", "priorities"),
                 ("calendar", "calendar"), ("targets", "targets")],
        title="SLA policies (first match wins)",
        empty="no SLA policies in the catalogue",
        render=_text,
    )  # fmt: skip
