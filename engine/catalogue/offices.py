"""Area offices for every area: the catalogue's ``area_offices`` rule, applied to all areas.

A city has hundreds of kelurahan; listing each lurah's office by hand in the catalogue does not
scale, and an area without an office is a hole in the escalation ladder. A rule per level says
how an office's code, name and addresses follow from the area's code and name::

    area_offices:
      - level: kelurahan
        code: "KEL-{code}"
        name: "Kantor Kelurahan {name}"
        email: "kel-{slug}.queue@tanggap.example"
        head_email: "kel-{slug}.head@tanggap.example"

Placeholders: ``{code}`` (``31.71.01.1001``), ``{digits}`` (``3171011001``), ``{name}``,
``{slug}`` (``tanah-abang``) and ``{SLUG}`` (``TANAH-ABANG``). An area office listed in the
catalogue's ``agencies`` wins over the rule: its area gets no generated office (the rule *maps*
to it). Generated offices are rows like any agency (origin ``office_rule``): they are updated in
place when the area's name or the rule changes and deactivated, never deleted, when their area
goes away or gets an office of its own.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.summary import LoadSummary
from engine.errors import CatalogueError, CatalogueProblem, RuleViolated
from engine.models import Agency, AgencyKind, Area, AreaOfficeRule, Origin
from engine.text import clean_email

PLACEHOLDERS = ("code", "digits", "name", "slug", "SLUG")
PATTERN_FIELDS = ("code", "name", "email", "head_email")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
KIND = "area_office"


def is_email(address: str) -> bool:
    """The same rule as every other address in the catalogue (``engine.text``)."""
    try:
        return clean_email(address, field="e-mail", required=True) is not None
    except RuleViolated:
        return False


def _address(rendered: str) -> str:
    """A rendered address in the form mail goes to (an internationalised domain in ASCII), or
    as rendered when it is none: ``plan_offices`` then reports it."""
    try:
        return clean_email(rendered, field="e-mail", required=True) or rendered
    except RuleViolated:
        return rendered


def slug(name: str) -> str:
    """``Kebon Kacang`` → ``kebon-kacang``; accents dropped, anything else becomes a dash."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def check_pattern(pattern: str) -> str:
    """Refuse placeholders we do not fill, positional ``{}`` and format specs."""
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(f"{pattern!r} is not a pattern: {exc}") from exc
    for _, field_name, spec, conversion in parsed:
        if field_name is None:
            continue
        if field_name not in PLACEHOLDERS or spec or conversion:
            raise ValueError(
                f"{pattern!r}: unknown placeholder {{{field_name}}}; "
                f"use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
            )
    return pattern


@dataclass(frozen=True)
class OfficePattern:
    level: str
    code: str
    name: str
    email: str
    head_email: str


@dataclass(frozen=True)
class AreaFacts:
    """What the rule needs to know of an area."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class PlannedOffice:
    area_code: str
    level: str
    code: str
    name: str
    email: str
    head_email: str


def render(pattern: OfficePattern, area: AreaFacts) -> PlannedOffice:
    values = {
        "code": area.code,
        "digits": re.sub(r"[^A-Za-z0-9]", "", area.code),
        "name": area.name,
        "slug": slug(area.name),
        "SLUG": slug(area.name).upper(),
    }
    return PlannedOffice(
        area_code=area.code,
        level=area.level,
        code=pattern.code.format_map(values),
        name=pattern.name.format_map(values),
        email=_address(pattern.email.format_map(values)),
        head_email=_address(pattern.head_email.format_map(values)),
    )


def plan_offices(
    rules: Mapping[str, OfficePattern],
    areas: Iterable[AreaFacts],
    *,
    covered: set[str],
    reserved: Mapping[str, str],
) -> tuple[list[PlannedOffice], list[tuple[str, str]]]:
    """The office of each area at a ruled level not in ``covered`` (areas with an office of
    their own), and problems as (level, message). ``reserved``: agency codes already taken,
    with who took them."""
    planned: list[PlannedOffice] = []
    problems: list[tuple[str, str]] = []
    codes: dict[str, str] = {}
    addresses: dict[str, str] = {}
    for area in sorted(areas, key=lambda a: a.code):
        rule = rules.get(area.level)
        if rule is None or area.code in covered:
            continue
        office = render(rule, area)
        where = f"the {area.level} office of {area.code} ({area.name})"
        if len(office.code) > 40 or not _CODE.match(office.code):
            problems.append((area.level, f"{where} would get the invalid code {office.code!r}"))
        elif office.code in reserved:
            problems.append(
                (area.level, f"{where} would get code {office.code!r}, {reserved[office.code]}")
            )
        elif office.code in codes:
            problems.append(
                (area.level, f"{where} would get code {office.code!r}, as {codes[office.code]}")
            )
        if len(office.name) > 200:
            problems.append((area.level, f"{where} would get a name over 200 characters"))
        for address in (office.email, office.head_email):
            if not is_email(address):
                problems.append((area.level, f"{where} would get the address {address!r}"))
            elif address.lower() in addresses and addresses[address.lower()] != area.code:
                problems.append(
                    (
                        area.level,
                        f"{where} would share the address {address!r} with "
                        f"{addresses[address.lower()]}; put {{code}} or {{digits}} in the pattern",
                    )
                )
            addresses.setdefault(address.lower(), area.code)
        codes.setdefault(office.code, where)
        planned.append(office)
    return planned, problems


def active_rules(session: Session) -> dict[str, OfficePattern]:
    return {
        rule.level: OfficePattern(rule.level, rule.code, rule.name, rule.email, rule.head_email)
        for rule in session.scalars(select(AreaOfficeRule).where(AreaOfficeRule.active))
    }


def apply_office_rules(
    session: Session, patterns: Iterable[OfficePattern], summary: LoadSummary
) -> None:
    """Store the catalogue's rules (one per level); a level left out is deactivated."""
    rows = {rule.level: rule for rule in session.scalars(select(AreaOfficeRule))}
    wanted = {p.level: p for p in patterns}
    for level, pattern in wanted.items():
        values = {f: getattr(pattern, f) for f in PATTERN_FIELDS} | {"active": True}
        row = rows.get(level)
        if row is None:
            session.add(AreaOfficeRule(level=level, **values))
            summary.count(summary.created, "area_office_rule")
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            summary.count(summary.updated, "area_office_rule")
    for level, row in rows.items():
        if level not in wanted and row.active:
            row.active = False
            summary.count(summary.deactivated, "area_office_rule")
    session.flush()


def sync_area_offices(session: Session, summary: LoadSummary) -> None:
    """Make the generated offices match the rules and the active areas; raise before writing
    anything if the rules would give two offices one code or one address."""
    rules = active_rules(session)
    areas = {a.id: a for a in session.scalars(select(Area).where(Area.active))}
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    own = [a for a in agencies.values() if a.origin != Origin.OFFICE_RULE]
    covered = {
        areas[a.area_id].code
        for a in own
        if a.active and a.kind == AgencyKind.AREA_OFFICE and a.area_id in areas
    }
    # A deactivated agency of the catalogue gives its code up to the rule.
    reserved = {
        a.code: f"which agency {a.code} of the catalogue already has" for a in own if a.active
    }
    facts = [AreaFacts(a.code, a.name, a.level) for a in areas.values()]
    planned, problems = plan_offices(rules, facts, covered=covered, reserved=reserved)
    if problems:
        raise CatalogueError.listing(
            [
                CatalogueProblem("", message, f"area_offices ({level})")
                for level, message in problems[:30]
            ]
        )
    by_code = {a.code: a for a in areas.values()}
    wanted: set[str] = set()
    for office in planned:
        wanted.add(office.code)
        values = {
            "name": office.name,
            "kind": AgencyKind.AREA_OFFICE.value,
            "area": by_code[office.area_code],
            "email": office.email,
            "head_email": office.head_email,
            "active": True,
            "origin": Origin.OFFICE_RULE.value,
        }
        row = agencies.get(office.code)
        if row is None:
            session.add(Agency(code=office.code, **values))
            summary.count(summary.created, KIND)
        elif any(getattr(row, k) != v for k, v in values.items()):
            moved = [
                f"{label} {getattr(row, key)} → {values[key]}"
                for key, label in (("email", "queue"), ("head_email", "head"))
                if row.active and getattr(row, key) != values[key]
            ]
            if moved:
                summary.address_changes.append(f"{office.code} {office.name}: {'; '.join(moved)}")
            for key, value in values.items():
                setattr(row, key, value)
            summary.count(summary.updated, KIND)
    for code, row in agencies.items():
        if row.origin == Origin.OFFICE_RULE and row.active and code not in wanted:
            row.active = False
            summary.count(summary.deactivated, KIND)
    session.flush()
