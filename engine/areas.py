"""Areas in the database: importing official boundaries, listing areas, explaining a point.

``import_boundaries`` is to an official boundary file what ``load_catalogue`` is to the
catalogue: the whole file is checked before anything is written (``engine.boundaries``), the
same file twice changes nothing, a changed file updates areas in place (same ids, so tickets
and routing overrides keep pointing at them), and areas that left the file are deactivated,
never deleted — but only when the caller says so (``deactivate_missing``): a file that leaves
out active areas is otherwise refused before anything is written, since one partial file (a
single kelurahan) would take the rest of the city offline. Even when asked, an import that
would leave an area active under a parent it deactivates is refused. The import owns the
areas it lists (origin ``boundaries``), including those the catalogue sketched under the same
code. Afterwards the catalogue's area office rule gives every new area its office. All in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from engine import waiting_mail
from engine.boundaries import (
    BoundaryFeature,
    BoundaryFile,
    BoundaryMapping,
    check_boundaries,
    problem_list,
)
from engine.catalogue.offices import AreaFacts, active_rules, plan_offices, sync_area_offices
from engine.catalogue.summary import LoadSummary
from engine.errors import CatalogueEntryNotFound, CatalogueProblem, RuleViolated
from engine.models import (
    Agency,
    AgencyKind,
    Area,
    AreaLevel,
    CatalogueRevision,
    Origin,
    area_title,
)
from engine.routing import DEFAULT_TOLERANCE_M, Placement, ancestry, place


@dataclass
class ImportSummary(LoadSummary):
    #: Codes of features whose geometry was repaired, with shapely's reason.
    repaired: dict[str, str] = field(default_factory=dict)
    #: Features whose parent was found neither in the file nor in the database: top areas.
    roots: list[str] = field(default_factory=list)
    #: Catalogue areas (deepest level) that no active imported boundary covers: once any
    #: boundaries are imported they alone place reports, so a report there is "outside every
    #: service area". A partial file leaves these out; the CLI warns with them.
    left_outside: list[str] = field(default_factory=list)


def import_boundaries(
    session: Session,
    data: bytes,
    mapping: BoundaryMapping,
    *,
    source: str,
    now: datetime,
    repair: bool = True,
    deactivate_missing: bool = False,
) -> ImportSummary:
    """Check the whole file, then write it; a bad file raises before anything is written,
    listing every problem at once: each feature's own, its parent's, the office rule's.

    Active imported areas the file leaves out are deactivated only with ``deactivate_missing``;
    without it such a file raises ``RuleViolated`` (one line: how many, the first few, the
    option) before anything is written. So does a file whose areas leave catalogue areas
    outside (``ImportSummary.left_outside``: reports there would be refused once imported
    boundaries alone place reports); with the option it is imported, and the caller warns.
    With it, an area left active under a parent the import would deactivate still raises
    ``RuleViolated``: the parent must be in the file."""
    checked = check_boundaries(data, mapping, source=source, repair=repair)
    boundaries = checked.file
    rows = {row.code: row for row in session.scalars(select(Area).options(undefer(Area.geometry)))}
    leaves = _catalogue_leaves(rows.values())
    problems = list(checked.problems)
    leaving = _leaving(boundaries, rows)
    gone = frozenset(row.code for row in leaving)
    parents, roots = _parents(boundaries, rows, checked.broken | gone, problems)
    problems += _office_problems(session, boundaries, rows)
    if problems:
        raise problem_list(problems)
    orphans = _orphans(boundaries, rows, leaving)
    if leaving and not deactivate_missing:
        raise _would_deactivate(boundaries.source, leaving, orphans)
    if orphans:
        raise _would_orphan(boundaries.source, orphans)
    outside = _left_outside(leaves, boundaries)
    if outside and not deactivate_missing:
        raise _would_leave_outside(boundaries.source, outside)

    summary = ImportSummary(repaired=boundaries.repaired, roots=roots)
    for feature in sorted(boundaries.features, key=lambda f: (f.level.depth, f.code)):
        _write(session, rows, feature, parents.get(feature.code), summary)
    for row in leaving:
        row.active = False
        summary.count(summary.deactivated, "area")
    session.flush()
    sync_area_offices(session, summary)
    summary.left_outside = outside
    if summary.changed:
        # An area renamed renames its generated office's addresses: waiting mail follows.
        reread = waiting_mail.readdress_waiting(
            session, now=now, cause="the boundaries were imported"
        )
        if reread:
            summary.updated["waiting mail"] = reread
        session.add(
            CatalogueRevision(
                sha256=boundaries.sha256, source=source, summary=summary.as_dict(), loaded_at=now
            )
        )
        session.flush()
    return summary


#: How many of the areas an import would deactivate, or leave without a parent, are named.
_NAMED = 5


def _leaving(boundaries: BoundaryFile, rows: dict[str, Area]) -> list[Area]:
    """The active imported areas the file leaves out: those the import would deactivate,
    the highest level first, then by code."""
    listed = {f.code for f in boundaries.features}
    return sorted(
        (
            row
            for code, row in rows.items()
            if row.origin == Origin.BOUNDARIES and row.active and code not in listed
        ),
        key=lambda row: (row.depth, row.code),
    )


def _orphans(
    boundaries: BoundaryFile, rows: dict[str, Area], leaving: list[Area]
) -> list[tuple[str, str, str]]:
    """(code, title, parent code) of each area that stays active — a feature of the file, or
    a catalogue area the import does not own — whose parent is among ``leaving``: deactivating
    that parent would cut it off from its kecamatan, kota or province (no parent, so the
    ladder's upper levels reach nobody for reports there), sorted by code."""
    gone = {row.code for row in leaving}
    if not gone:
        return []
    found = [
        (f.code, area_title(f.name, f.level.value), f.parent)
        for f in boundaries.features
        if f.parent in gone
    ]
    listed = {f.code for f in boundaries.features}
    gone_ids = {row.id: row.code for row in leaving}
    found += [
        (row.code, row.title, gone_ids[row.parent_id])
        for row in rows.values()
        if row.active
        and row.origin != Origin.BOUNDARIES
        and row.code not in listed
        and row.parent_id in gone_ids
    ]
    return sorted(found)


def _named(items: list[str], total: int) -> str:
    more = total - len(items)
    return ", ".join(items) + (f" and {more} more" if more > 0 else "")


def _would_deactivate(
    source: str, leaving: list[Area], orphans: list[tuple[str, str, str]]
) -> RuleViolated:
    named = _named([f"{row.code} {row.title!r}" for row in leaving[:_NAMED]], len(leaving))
    one = len(leaving) == 1
    message = (
        f"nothing imported: {source} leaves out {len(leaving)} active "
        f"{'area' if one else 'areas'}, which the import would deactivate (reports there "
        f"would be refused as outside every service area): {named}. If the file is meant to "
        f"replace {'it' if one else 'them'}, import it with --deactivate-missing"
    )
    if orphans:
        code, _title, parent = orphans[0]
        message += (
            f"; even then it is refused while an area it keeps lies under one of them "
            f"({code} under {parent}): add the parents to the file"
        )
    return RuleViolated(
        message,
        key="boundaries_would_deactivate",
        params={"deactivated": len(leaving), "orphaned": len(orphans)},
    )


def _would_leave_outside(source: str, outside: list[str]) -> RuleViolated:
    """A file that covers only part of the catalogue's areas: once boundaries are imported
    they alone place reports, so every report in the rest of the city would be refused (a
    first import of one kelurahan by mistake: the city offline, with a warning and exit 0)."""
    named = _named(outside[:_NAMED], len(outside))
    return RuleViolated(
        f"nothing imported: {source} covers none of {len(outside)} catalogue areas ({named}); "
        f"imported boundaries alone place reports, so reports there would be refused as "
        f"outside every service area. Import a file that covers them, or, if the file is "
        f"meant to replace the city's areas, import it with --deactivate-missing",
        key="boundaries_leave_outside",
        params={"outside": len(outside)},
    )


def _would_orphan(source: str, orphans: list[tuple[str, str, str]]) -> RuleViolated:
    named = _named(
        [f"{code} {title!r} under {parent}" for code, title, parent in orphans[:_NAMED]],
        len(orphans),
    )
    parents = sorted({parent for _code, _title, parent in orphans})
    one = len(orphans) == 1
    return RuleViolated(
        f"nothing imported: {source} keeps {len(orphans)} {'area' if one else 'areas'} active "
        "under a parent it leaves out, which --deactivate-missing would deactivate, leaving "
        f"{'it' if one else 'them'} with no kecamatan, kota or province above: {named}. "
        f"Add {_named(parents[:_NAMED], len(parents))} to the file",
        key="boundaries_would_orphan",
        params={"orphaned": len(orphans)},
    )


def _catalogue_leaves(rows: Iterable[Area]) -> dict[str, dict[str, Any]]:
    """The catalogue's own active areas with no active area under them (the ones that placed
    reports before any boundaries were imported), by code, with their GeoJSON geometry."""
    rows = list(rows)
    parents = {row.parent_id for row in rows if row.active}
    return {
        row.code: row.geometry
        for row in rows
        if row.active and row.origin != Origin.BOUNDARIES and row.geometry and row.id not in parents
    }


def _left_outside(leaves: dict[str, dict[str, Any]], boundaries: BoundaryFile) -> list[str]:
    """Codes of ``leaves`` whose inner point no area of the imported file covers, sorted: where
    reports will be refused as outside once the file is in (a leaf the file itself lists is
    covered by its own new outline)."""
    listed = {feature.code for feature in boundaries.features}
    imported = [shape(feature.geometry) for feature in boundaries.features]
    if not imported:
        return []
    cover = shapely.union_all(imported)
    shapely.prepare(cover)
    return sorted(
        code
        for code, geometry in leaves.items()
        if code not in listed and not cover.covers(shape(geometry).representative_point())
    )


def _parents(
    boundaries: BoundaryFile, rows: dict[str, Area], broken: frozenset[str], problems: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Each feature's parent code, checked: in the file, else an area in the database that
    this import keeps; a feature of the file's top level may have none (a root). A parent
    among the ``broken`` features (listed already, or an area the import would deactivate,
    which the caller refuses on its own) is no problem of its children's; each problem is
    added to ``problems``."""
    in_file = {f.code: f for f in boundaries.features}
    if not in_file:
        return {}, []
    top = min(f.level.depth for f in boundaries.features)
    kept = {
        code: AreaLevel(row.level)
        for code, row in rows.items()
        if row.active and (row.origin != Origin.BOUNDARIES or code in in_file)
    }
    kept.update({code: f.level for code, f in in_file.items()})
    parents: dict[str, str] = {}
    roots: list[str] = []
    for feature in boundaries.features:
        label = f"{boundaries.source}: features[{feature.index}] ({feature.code})"
        level = kept.get(feature.parent) if feature.parent else None
        if level is None:
            if feature.parent in broken:
                continue  # its parent's own problem is listed
            if feature.level.depth == top:
                roots.append(feature.code)
            elif feature.parent:
                problems.append(
                    f"{label}: parent {feature.parent!r} is not in the file or the database"
                )
            else:
                problems.append(f"{label}: a {feature.level} needs a parent")
            continue
        if level.depth >= feature.level.depth:
            problems.append(
                f"{label}: a {feature.level} cannot lie under a {level} ({feature.parent})"
            )
            continue
        assert feature.parent is not None
        parents[feature.code] = feature.parent
    return parents, roots


def _office_problems(
    session: Session, boundaries: BoundaryFile, rows: dict[str, Area]
) -> list[str]:
    """Run the office rules over the areas as they will be, before writing any of them: each
    problem, in words."""
    in_file = {f.code for f in boundaries.features}
    facts = {
        code: AreaFacts(code, row.name, row.level)
        for code, row in rows.items()
        if row.active and (row.origin != Origin.BOUNDARIES or code in in_file)
    }
    facts.update({f.code: AreaFacts(f.code, f.name, f.level.value) for f in boundaries.features})
    agencies = [a for a in session.scalars(select(Agency)) if a.origin != Origin.OFFICE_RULE]
    area_codes = {row.id: code for code, row in rows.items()}
    covered = {
        area_codes[a.area_id]
        for a in agencies
        if a.active and a.kind == AgencyKind.AREA_OFFICE and a.area_id in area_codes
    }
    # A deactivated agency of the catalogue gives its code up to the rule.
    reserved = {
        a.code: f"which agency {a.code} of the catalogue already has" for a in agencies if a.active
    }
    _, problems = plan_offices(
        active_rules(session), facts.values(), covered=covered, reserved=reserved
    )
    return [
        str(CatalogueProblem("", message, f"area_offices ({level})")) for level, message in problems
    ]


def _write(
    session: Session,
    rows: dict[str, Area],
    feature: BoundaryFeature,
    parent: str | None,
    summary: LoadSummary,
) -> None:
    min_lon, min_lat, max_lon, max_lat = feature.bounds
    values = {
        "name": feature.name,
        "level": feature.level.value,
        "depth": feature.level.depth,
        "parent": rows[parent] if parent else None,
        "geometry": feature.geometry,
        "min_lon": min_lon,
        "min_lat": min_lat,
        "max_lon": max_lon,
        "max_lat": max_lat,
        "active": True,
        "origin": Origin.BOUNDARIES.value,
    }
    row = rows.get(feature.code)
    if row is None:
        row = rows[feature.code] = Area(code=feature.code, **values)
        session.add(row)
        summary.count(summary.created, "area")
        return
    changed = [key for key, value in values.items() if getattr(row, key) != value]
    for key in changed:
        setattr(row, key, values[key])
    if changed:
        summary.count(summary.updated, "area")


# --- reading ---------------------------------------------------------------------------------


def list_areas(
    session: Session, *, level: AreaLevel | None = None, include_inactive: bool = False
) -> list[Area]:
    query = select(Area).order_by(Area.code)
    if level is not None:
        query = query.where(Area.level == level.value)
    if not include_inactive:
        query = query.where(Area.active)
    return list(session.scalars(query))


def get_area(session: Session, code: str) -> Area:
    area = session.scalar(select(Area).where(Area.code == code))
    if area is None:
        raise CatalogueEntryNotFound(f"no area with code {code!r}")
    return area


def offices_by_area(session: Session) -> dict[int, Agency]:
    """The active office of each area: an area office (the catalogue's own before a generated
    one), or for the province the governor's office."""
    offices: dict[int, Agency] = {}
    kinds = (AgencyKind.AREA_OFFICE.value, AgencyKind.GOVERNOR_OFFICE.value)
    rows = session.scalars(select(Agency).where(Agency.active, Agency.kind.in_(kinds)))
    for agency in sorted(
        rows,
        key=lambda a: (
            a.kind != AgencyKind.AREA_OFFICE,
            a.origin != Origin.CATALOGUE,
            a.code,
        ),
    ):
        offices.setdefault(agency.area_id, agency)
    return offices


@dataclass(frozen=True)
class PointReport:
    """What ``tanggap areas locate`` prints: the placement and the chain with its offices."""

    placement: Placement
    chain: list[tuple[Area, Agency | None]]


def explain_point(
    session: Session, *, lat: float, lon: float, tolerance_m: float = DEFAULT_TOLERANCE_M
) -> PointReport:
    found = place(session, lat=lat, lon=lon, tolerance_m=tolerance_m)
    area = session.get(Area, found.area_id)
    assert area is not None
    offices = offices_by_area(session)
    return PointReport(found, [(a, offices.get(a.id)) for a in ancestry(session, area)])
