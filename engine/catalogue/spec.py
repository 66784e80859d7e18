"""The catalogue file's schema, and parsing that names the key and line of every mistake.

The file is YAML (see ``catalogue/jakarta.yaml``). Validation is complete before anything is
written: shape and types by pydantic, then cross-references (a category's agency, an area's
parent, a policy's calendar …). Errors point at ``categories[3].agency (line 212)``.

A yes-or-no key takes only ``true`` or ``false``, a number only a number (``1`` is no yes, ``true``
no 1, ``"5"`` no number). Every number has bounds no real city comes near, which keep all later
arithmetic (deadlines, ladder levels, answers) far inside its range:

- SLA targets (``policies[].targets``): a unit always (``30m``, ``4h``, ``1h30m``, ``3d``,
  ``1d4h``); at most ``1000d`` working days and ``10000h`` business time, and at most about
  ``MAX_TARGET_YEARS`` years of the policy's calendar's regular week;
- ladder levels (``ladders[].levels[].percent``): 1 to ``MAX_PERCENT`` % of the target;
- calendar hours (``calendars[].hours.<day>``): ``HH:MM-HH:MM`` within one day, 00:00 to
  23:59 (an end of 00:00 is midnight), in order and not overlapping; ``closed_dates`` and
  ``open_dates`` between ``FIRST_DATE`` and ``LAST_DATE``;
- question bounds (``questions[].min`` / ``max``): within ±``MAX_QUESTION_BOUND``; question
  ``order`` 1 to 1000; ``duplicate_radius_m`` above 0 up to 5000; polygon points longitude
  -180..180, latitude -90..90.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from datetime import date, time, timedelta
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from shapely.geometry import Polygon

from engine.catalogue.offices import (
    AreaFacts,
    OfficePattern,
    check_pattern,
    is_email,
    plan_offices,
    render,
)
from engine.catalogue.refusals import errors_in_words, written
from engine.catalogue.yaml_errors import read_yaml
from engine.errors import CatalogueError, CatalogueProblem, RuleViolated, shown
from engine.models import AgencyKind, AreaLevel, Priority
from engine.policies import build_calendar, build_ladder, build_policy
from engine.questions import QuestionSpec, check_question_list
from engine.text import LIMITS, clean_email, clean_text, code_key
from engine.zones import checked_zone
from sla import BusinessCalendar, RecipientKind, Target, TimerKind, Weekday, parse_target

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SPAN = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}$")
#: Recipients named by a bare word; an area office is ``{area_office: <level>}``.
RECIPIENTS = tuple(k.value for k in RecipientKind if k is not RecipientKind.AREA_OFFICE)
AREA_LEVELS_BELOW_PROVINCE = tuple(level.value for level in AreaLevel if level.depth > 0)
#: The shortest code column (areas, agencies): every code fits every column.
_CODE_LIMIT = min(LIMITS["area_code"], LIMITS["agency_code"], LIMITS["category_code"])

Loc = tuple[str | int, ...]

#: A number, never a yes or no nor text (an int is taken where the spec means a fraction).
Number = Annotated[float, Strict()]
#: A point of a polygon, ``[longitude, latitude]``: finite, on the globe.
Longitude = Annotated[
    float, Strict(), Field(ge=-180, le=180, allow_inf_nan=False, title="longitude")
]
Latitude = Annotated[float, Strict(), Field(ge=-90, le=90, allow_inf_nan=False, title="latitude")]
#: The most of its calendar's regular week (holidays aside) one SLA target may take.
MAX_TARGET_YEARS = 3
#: The highest ladder level, in percent of the target: 10 times it.
MAX_PERCENT = 1000
#: Closed and open dates lie in these years.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2099, 12, 31)
#: A question's ``min`` and ``max`` lie within ± this.
MAX_QUESTION_BOUND = 1_000_000_000.0


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_code(value: str) -> str:
    if not _CODE.match(value):
        raise ValueError(f"{value[:60]!r} is not a valid code (letters, digits, . _ -)")
    if len(value) > _CODE_LIMIT:
        raise ValueError(f"a code has at most {_CODE_LIMIT} characters")
    return value


def _check_email(value: str) -> str:
    try:
        return clean_email(value, field="e-mail", required=True) or ""
    except RuleViolated as exc:
        raise ValueError(exc.message) from None


def _text(field: str, *, required: bool = True, multiline: bool = False) -> Any:
    """A validator applying the engine's text rules (length from the column, no control
    characters, not blank) to a catalogue text that people read."""

    def check(value: str | None, info: ValidationInfo) -> str | None:
        # The message names the key as the file writes it (name_en), not the limit's name.
        try:
            return clean_text(
                value,
                field=info.field_name or field,
                limit=LIMITS[field],
                required=required,
                multiline=multiline,
            )
        except RuleViolated as exc:
            raise ValueError(exc.message) from None

    return check


def _clock(text: str, span: str) -> time:
    hour, minute = int(text[:2]), int(text[3:])
    if hour > 23 or minute > 59:
        raise ValueError(
            f"{span}: {text} is no time of day (00:00 to 23:59; end at midnight with 00:00)"
        )
    return time(hour, minute)


def _check_span(span: object) -> str:
    """``07:30-12:00``: two times of day, the end after the start (``00:00`` ends at midnight)."""
    if not isinstance(span, str) or not _SPAN.match(span):
        raise ValueError(f"{written(span)} is not a span like 08:00-16:00")
    start, end = _clock(span[:5], span), _clock(span[6:], span)
    if end != time(0) and end <= start:
        raise ValueError(f"{span} ends before it starts (00:00 ends at midnight)")
    return span


def _check_day(spans: list[str]) -> list[str]:
    for earlier, later in itertools.pairwise(spans):
        if earlier[6:] == "00:00" or later[:5] < earlier[6:]:
            raise ValueError(
                f"{earlier} and {later} overlap or are out of order: list a day's spans "
                "in order, each starting at or after the end of the one before"
            )
    return spans


#: One day's working hours: spans in order, not overlapping.
DaySpans = Annotated[list[Annotated[str, BeforeValidator(_check_span)]], AfterValidator(_check_day)]


def _as_date(value: object) -> object:
    """A date as YAML writes it (2024-12-25, or the same quoted); not a number of seconds."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a date") from None
    if not isinstance(value, date):
        raise ValueError(f"{written(value)} is not a date like 2024-12-25")
    return value


def _date_in_range(value: date) -> date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"{value} is not between {FIRST_DATE} and {LAST_DATE}")
    return value


CalendarDate = Annotated[date, BeforeValidator(_as_date), AfterValidator(_date_in_range)]


def _target_text(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(
            f"give a duration such as 30m, 4h, 1h30m, 3d or 1d4h, not {written(value)}"
        )
    if isinstance(value, int) or value.strip().isdigit():
        number = str(value).strip()[:40]
        raise ValueError(
            f"{number} has no unit: write {number}m for minutes, {number}h for business hours "
            f"or {number}d for working days"
        )
    return value


def _target_bounds(value: str) -> str:
    parse_target(value)  # its ValueError says what is wrong
    return value


TargetText = Annotated[str, BeforeValidator(_target_text), AfterValidator(_target_bounds)]


def _version(value: object) -> int:
    if value != 1 or isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{written(value)} is no catalogue version this Tanggap reads; write 1")
    return 1


Version = Annotated[int, BeforeValidator(_version)]


class AreaSpec(_Spec):
    code: str
    name: str = Field(min_length=1)
    level: AreaLevel
    parent: str | None = None
    polygon: list[tuple[Longitude, Latitude]] = Field(min_length=4)

    _code = field_validator("code")(_check_code)
    _name = field_validator("name")(_text("area_name"))

    @field_validator("polygon")
    @classmethod
    def _valid_ring(cls, ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
        # Every point is finite and on the globe (``Longitude``, ``Latitude``): NaN never
        # "ends where it starts".
        if ring[0] != ring[-1]:
            raise ValueError("polygon ring must end where it starts")
        if not Polygon(ring).is_valid:
            raise ValueError("polygon is not a valid simple polygon (edges cross?)")
        return ring


class AgencySpec(_Spec):
    code: str
    name: str = Field(min_length=1)
    kind: AgencyKind
    area: str
    email: str
    head_email: str

    _code = field_validator("code")(_check_code)
    _name = field_validator("name")(_text("agency_name"))
    _emails = field_validator("email", "head_email")(_check_email)


class CategorySpec(_Spec):
    code: str
    name_id: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    group: str = Field(min_length=1)
    agency: str
    default_priority: Priority = Priority.NORMAL
    photo_on_submit: StrictBool = False
    photo_on_resolve: StrictBool = False
    description: str | None = None
    #: Open reports this close (metres) are offered as possible duplicates; default: settings.
    duplicate_radius_m: Number | None = Field(default=None, gt=0, le=5000)
    #: Complaints that may concern staff of the very kelurahan, kecamatan or kota office where
    #: they happened (pungli): no area office sees, acts on or is told of them. The category
    #: may not be routed to an area office, nor reach a ladder that notifies one.
    withheld_from_area_offices: StrictBool = False
    #: False: its reports are not published (not listed, mapped, offered as duplicates nor
    #: shown by code); only the reporter, with the token, and staff see them.
    public: StrictBool = True
    #: What the category asks besides the description (Open311 attributes).
    questions: list[QuestionSpec] = Field(default_factory=list, max_length=20)

    _code = field_validator("code")(_check_code)
    _names = field_validator("name_id", "name_en")(_text("category_name"))
    _group = field_validator("group")(_text("category_group"))
    _description = field_validator("description")(
        _text("category_description", required=False, multiline=True)
    )


class RoutingSpec(_Spec):
    category: str
    area: str
    agency: str


class HolidaySpec(_Spec):
    country: str = "ID"
    categories: tuple[str, ...] = ("public",)


class CalendarSpec(_Spec):
    code: str
    timezone: str = "Asia/Jakarta"
    always_open: StrictBool = False
    hours: dict[Weekday, DaySpans] = Field(default_factory=dict)
    holidays: HolidaySpec | None = None
    closed_dates: list[CalendarDate] = Field(default_factory=list)
    open_dates: list[CalendarDate] = Field(default_factory=list)

    _code = field_validator("code")(_check_code)

    # The one rule for a typed zone (engine.zones): WITA and asia/makassar are Asia/Makassar
    # here as in TANGGAP_TIMEZONE and a staff member's zone.
    _zone = field_validator("timezone")(checked_zone)


def _recipient(entry: object) -> object:
    """One of a level's recipients, as the file writes it: a word (``agency_head``) or an area
    office, ``{area_office: kecamatan}``."""
    offices = ", ".join(AREA_LEVELS_BELOW_PROVINCE)
    if isinstance(entry, str):
        if entry not in RECIPIENTS:
            raise ValueError(
                f"unknown recipient {shown(entry)}; use {', '.join(RECIPIENTS)}, or "
                f"{{area_office: LEVEL}} with a LEVEL of {offices}"
            )
        return entry
    if isinstance(entry, dict) and list(entry) == ["area_office"]:
        if entry["area_office"] not in AREA_LEVELS_BELOW_PROVINCE:
            level = written(entry["area_office"])
            raise ValueError(f"area_office level {level} is none of {offices}")
        return entry
    raise ValueError(
        f"give a recipient ({', '.join(RECIPIENTS)}) or {{area_office: LEVEL}} with a LEVEL of "
        f"{offices}, not {written(entry)}"
    )


#: Whom a level notifies: a word (``agency_head``) or ``{area_office: LEVEL}``.
Recipient = Annotated[str | dict[Literal["area_office"], str], BeforeValidator(_recipient)]


class LevelSpec(_Spec):
    #: Stable identity in the escalation ledger; defaults to the name. Give one before you
    #: rename a level (either way nothing recorded is sent again: see sla.Level).
    key: str | None = Field(default=None, min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=60)
    #: How mail and pages word the level (Indonesian, English); absent: the name as words.
    name_id: str | None = Field(default=None, min_length=1)
    name_en: str | None = Field(default=None, min_length=1)
    percent: StrictInt = Field(gt=0, le=MAX_PERCENT)
    notify: list[Recipient] = Field(min_length=1)

    _name = field_validator("name")(_text("level_name"))
    _words = field_validator("name_id", "name_en")(_text("level_words"))
    _key = field_validator("key")(_text("level_name", required=False))


class LadderSpec(_Spec):
    code: str
    levels: list[LevelSpec] = Field(min_length=1)

    _code = field_validator("code")(_check_code)


class PolicySpec(_Spec):
    code: str
    categories: list[str] = Field(default_factory=list)
    priorities: list[Priority] = Field(default_factory=list)
    calendar: str
    ladder: str
    targets: dict[TimerKind, TargetText]

    _code = field_validator("code")(_check_code)


class AreaOfficeSpec(_Spec):
    """How the office of every area of ``level`` follows from the area (``offices.py``)."""

    level: Literal["kota", "kecamatan", "kelurahan"]
    code: str = Field(min_length=1)
    name: str = Field(min_length=1)
    email: str = Field(min_length=3)
    head_email: str = Field(min_length=3)

    _patterns = field_validator("code", "name", "email", "head_email")(check_pattern)

    @model_validator(mode="after")
    def _sample(self) -> AreaOfficeSpec:
        """Render the rule for a sample area, so a bad pattern fails before any area needs it."""
        office = render(self.pattern(), AreaFacts("31.71.01.1001", "Kebon Kacang", self.level))
        if len(office.code) > 40 or not _CODE.match(office.code):
            raise ValueError(f"code pattern gives {office.code!r}, not a valid code")
        for address in (office.email, office.head_email):
            if not is_email(address):
                raise ValueError(f"address pattern gives {address!r}, not an e-mail address")
        return self

    def pattern(self) -> OfficePattern:
        return OfficePattern(self.level, self.code, self.name, self.email, self.head_email)


class CatalogueSpec(_Spec):
    version: Version
    areas: list[AreaSpec] = Field(min_length=1)
    agencies: list[AgencySpec] = Field(min_length=1)
    categories: list[CategorySpec] = Field(min_length=1)
    routing: list[RoutingSpec] = Field(default_factory=list)
    calendars: list[CalendarSpec] = Field(default_factory=list)
    ladders: list[LadderSpec] = Field(default_factory=list)
    policies: list[PolicySpec] = Field(default_factory=list)
    area_offices: list[AreaOfficeSpec] = Field(default_factory=list)


# --- cross-references ----------------------------------------------------------------------


def _unique(items: Sequence[Any], section: str, problems: list[tuple[Loc, str]]) -> set[str]:
    seen: set[str] = set()
    keys: set[str] = set()
    for i, item in enumerate(items):
        # Codes are typed in any case and with - or _ (engine.text.code_key): they must differ
        # by more than that.
        if code_key(item.code) in keys:
            problems.append(((section, i, "code"), f"duplicate code {item.code!r}"))
        seen.add(item.code)
        keys.add(code_key(item.code))
    return seen


def cross_check(
    spec: CatalogueSpec, known_areas: Mapping[str, AreaFacts] | None = None
) -> list[tuple[Loc, str]]:
    """Problems of the file; ``known_areas`` are areas already in the database from an official
    boundary import, which agencies and routing overrides may name too."""
    problems: list[tuple[Loc, str]] = []
    known_areas = known_areas or {}
    areas = {a.code: a for a in spec.areas}
    _unique(spec.areas, "areas", problems)
    agencies = _unique(spec.agencies, "agencies", problems)
    categories = _unique(spec.categories, "categories", problems)
    calendars = _unique(spec.calendars, "calendars", problems)
    ladders = _unique(spec.ladders, "ladders", problems)
    _unique(spec.policies, "policies", problems)

    seen_areas: set[str] = set()
    for i, area in enumerate(spec.areas):
        depth = area.level.depth
        if area.parent is None and depth != 0:
            problems.append((("areas", i, "parent"), f"a {area.level} needs a parent area"))
        if area.parent is not None:
            parent = areas.get(area.parent)
            if parent is None or area.parent not in seen_areas:
                problems.append(
                    (("areas", i, "parent"), f"parent {area.parent!r} is not an area listed above")
                )
            elif parent.level.depth >= depth:
                problems.append(
                    (("areas", i, "level"), f"a {area.level} cannot lie under a {parent.level}")
                )
            elif not Polygon(parent.polygon).buffer(1e-9).covers(Polygon(area.polygon)):
                problems.append((("areas", i, "polygon"), f"not inside parent {parent.code}"))
        seen_areas.add(area.code)

    def ref(loc: Loc, value: str, known: set[str], what: str) -> None:
        if value not in known:
            problems.append((loc, f"unknown {what} {value!r}"))

    area_codes = set(areas) | set(known_areas)
    agencies |= _check_offices(spec, known_areas, problems)
    for i, agency in enumerate(spec.agencies):
        ref(("agencies", i, "area"), agency.area, area_codes, "area")
    for i, category in enumerate(spec.categories):
        ref(("categories", i, "agency"), category.agency, agencies, "agency")
        for j, field, message in check_question_list(category.questions):
            problems.append((("categories", i, "questions", j, field), message))
    for i, rule in enumerate(spec.routing):
        ref(("routing", i, "category"), rule.category, categories, "category")
        ref(("routing", i, "area"), rule.area, area_codes, "area")
        ref(("routing", i, "agency"), rule.agency, agencies, "agency")
    for i, policy in enumerate(spec.policies):
        ref(("policies", i, "calendar"), policy.calendar, calendars, "calendar")
        ref(("policies", i, "ladder"), policy.ladder, ladders, "ladder")
        for j, code in enumerate(policy.categories):
            ref(("policies", i, "categories", j), code, categories, "category")
    if spec.policies and (spec.policies[-1].categories or spec.policies[-1].priorities):
        problems.append((("policies", len(spec.policies) - 1), "the last policy must match all"))
    misshapen: set[int] = set()  # said once here: building them below would say it again
    for i, ladder in enumerate(spec.ladders):
        percents = [level.percent for level in ladder.levels]
        if percents != sorted(set(percents)):
            problems.append((("ladders", i, "levels"), "levels must rise strictly in percent"))
            misshapen.add(i)
        keys = [level.key or level.name for level in ladder.levels]
        if len(set(keys)) != len(keys):
            problems.append((("ladders", i, "levels"), "level keys (or names) must be distinct"))
            misshapen.add(i)
    problems.extend(_check_sla(spec, misshapen))
    problems.extend(_check_withheld(spec, agencies))
    return problems


def _check_withheld(spec: CatalogueSpec, agencies: set[str]) -> list[tuple[Loc, str]]:
    """A category withheld from area offices is never handled by one (its agency, a routing
    override) nor escalated to one: for each priority, the first policy that matches it must
    use a ladder that names no ``area_office``. (Generated offices are area offices too: every
    agency code not declared in the file with another kind.)"""
    problems: list[tuple[Loc, str]] = []
    withheld = {c.code for c in spec.categories if c.withheld_from_area_offices}
    if not withheld:
        return problems
    kinds = {a.code: a.kind for a in spec.agencies}
    offices = {
        code
        for code in agencies
        if kinds.get(code, AgencyKind.AREA_OFFICE) is AgencyKind.AREA_OFFICE
    }
    for i, category in enumerate(spec.categories):
        if category.code in withheld and category.agency in offices:
            problems.append(
                (
                    ("categories", i, "agency"),
                    f"{category.code} is withheld from area offices: "
                    f"its agency cannot be the area office {category.agency}",
                )
            )
    for i, rule in enumerate(spec.routing):
        if rule.category in withheld and rule.agency in offices:
            problems.append(
                (
                    ("routing", i, "agency"),
                    f"{rule.category} is withheld from area offices: "
                    f"it cannot be routed to the area office {rule.agency}",
                )
            )
    telling = {
        ladder.code
        for ladder in spec.ladders
        if any(isinstance(entry, dict) for level in ladder.levels for entry in level.notify)
    }
    for category in spec.categories:
        if category.code not in withheld:
            continue
        for priority in Priority:
            found = next(
                (
                    (j, policy)
                    for j, policy in enumerate(spec.policies)
                    if (not policy.categories or category.code in policy.categories)
                    and (not policy.priorities or priority in policy.priorities)
                ),
                None,
            )
            if found is not None and found[1].ladder in telling:
                j, policy = found
                problems.append(
                    (
                        ("policies", j, "ladder"),
                        f"{category.code} is withheld from area offices, but at priority "
                        f"{priority} policy {policy.code} escalates it on ladder "
                        f"{policy.ladder}, which notifies an area office: give the category "
                        "a policy before this one whose ladder names no area_office",
                    )
                )
    return problems


def _check_offices(
    spec: CatalogueSpec, known_areas: Mapping[str, AreaFacts], problems: list[tuple[Loc, str]]
) -> set[str]:
    """Run the area office rules over every area as loading would; the codes they make."""
    rule_at: dict[str, int] = {}
    for i, rule in enumerate(spec.area_offices):
        if rule.level in rule_at:
            problems.append((("area_offices", i, "level"), f"a second rule for {rule.level}"))
        rule_at.setdefault(rule.level, i)
    facts = dict(known_areas)
    facts.update({a.code: AreaFacts(a.code, a.name, a.level.value) for a in spec.areas})
    covered = {g.area for g in spec.agencies if g.kind is AgencyKind.AREA_OFFICE}
    reserved = {g.code: "which an agency of this file already has" for g in spec.agencies}
    rules: dict[str, OfficePattern] = {r.level: r.pattern() for r in spec.area_offices}
    planned, found = plan_offices(rules, facts.values(), covered=covered, reserved=reserved)
    problems.extend((("area_offices", rule_at[level]), message) for level, message in found)
    return {office.code for office in planned}


def _check_sla(spec: CatalogueSpec, misshapen: set[int]) -> list[tuple[Loc, str]]:
    """Build every calendar, ladder and policy exactly as the clocks will, to catch what the
    schema cannot see (an unknown time zone, overlapping spans, a bad duration). The ladders
    ``misshapen`` (their levels' percents or keys, already said) are not built: one mistake is
    one line, and the policies naming them are not built either."""
    problems: list[tuple[Loc, str]] = []
    calendars, ladders = {}, {}
    for i, calendar in enumerate(spec.calendars):
        try:
            calendars[calendar.code] = build_calendar(calendar.model_dump(mode="json"))
        except (ValueError, KeyError) as exc:
            problems.append((("calendars", i), str(exc)))
    for i, ladder in enumerate(spec.ladders):
        if i in misshapen:
            continue
        try:
            ladders[ladder.code] = build_ladder(ladder.model_dump(mode="json"))
        except (ValueError, KeyError) as exc:
            problems.append((("ladders", i), str(exc)))
    for i, policy in enumerate(spec.policies):
        if policy.calendar in calendars and policy.ladder in ladders:
            for kind, text in policy.targets.items():
                years = _years_of(parse_target(text), calendars[policy.calendar])
                if years > MAX_TARGET_YEARS:
                    problems.append(
                        (
                            ("policies", i, "targets", kind.value),
                            f"{text} takes about {years:,.1f} years of calendar "
                            f"{policy.calendar}'s working week; a target may take at most "
                            f"{MAX_TARGET_YEARS} years",
                        )
                    )
            try:
                build_policy(policy.model_dump(mode="json"), calendars, ladders)
            except ValueError as exc:
                problems.append((("policies", i, "targets"), str(exc)))
    return problems


def _years_of(target: Target, calendar: BusinessCalendar) -> float:
    """How many years ``target`` runs on ``calendar``'s regular week (holidays aside): the
    bound that keeps a deadline, and the last ladder level at ``MAX_PERCENT`` of it, decades
    inside ``datetime``'s range however little a calendar works (one minute a week …)."""
    if calendar.always_open:
        days, weekly = 7, timedelta(days=7)
    else:
        days = sum(1 for spans in calendar.week if spans)
        weekly = sum((span.length for spans in calendar.week for span in spans), timedelta(0))
    weeks = target.days / days + target.business / weekly
    return weeks * 7 / 365.25


# --- parsing with line numbers ---------------------------------------------------------------


def _line_of(root: yaml.Node | None, loc: Loc) -> int | None:
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if key < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _describe(root: yaml.Node | None, source: str, loc: Loc, message: str) -> CatalogueProblem:
    path = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in loc).lstrip(".")
    line = _line_of(root, loc)
    where = f"{source}:{line}" if line else source
    return CatalogueProblem(where, message, path or "(top)")


#: Problems listed at most; past that, how many more there are.
_SHOWN = 30
#: The sections whose entries each have a code of their own (``cross_check``'s ``_unique``).
_CODED = ("areas", "agencies", "categories", "calendars", "ladders", "policies")


def _raw_duplicates(data: dict[Any, Any]) -> list[tuple[Loc, str]]:
    """``_unique``'s problems in a file the schema refused: each entry whose code (text, as
    typed) repeats an earlier one of its section, compared as codes are (``code_key``)."""
    problems: list[tuple[Loc, str]] = []
    for section in _CODED:
        items = data.get(section)
        if not isinstance(items, list):
            continue
        keys: set[str] = set()
        for i, item in enumerate(items):
            code = item.get("code") if isinstance(item, dict) else None
            if not isinstance(code, str):
                continue
            if code_key(code) in keys:
                problems.append(((section, i, "code"), f"duplicate code {code!r}"))
            keys.add(code_key(code))
    return problems


#: The largest catalogue file taken, in bytes (the city's is ~60 kB): by the API's upload and
#: the command line's ``config load`` alike, read no further than one byte past it.
CATALOGUE_LIMIT = 5 * 1024 * 1024


def parse_catalogue(
    text: str,
    *,
    source: str = "catalogue",
    known_areas: Mapping[str, AreaFacts] | None = None,
) -> CatalogueSpec:
    """Parse and fully validate; raise ``CatalogueError`` listing every problem found."""
    # One parse, with libyaml when present: the node tree gives line numbers, and the same
    # tree is turned into the data; a key given twice is refused, not silently replaced.
    root, data = read_yaml(text, source=source, fast=True)
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: the catalogue must be a mapping with version, areas, …")
    try:
        spec = CatalogueSpec.model_validate(data)
    except ValidationError as exc:
        # A code given twice is its own problem, whatever else is wrong: listed with the
        # schema's, not only once they are mended.
        errors = errors_in_words(CatalogueSpec, exc.errors())
        errors += _raw_duplicates(data)
        found = [_describe(root, source, loc, message) for loc, message in errors[:_SHOWN]]
        if len(errors) > _SHOWN:
            found.append(CatalogueProblem(source, f"… and {len(errors) - _SHOWN} more problems"))
        raise CatalogueError.listing(found) from exc
    problems = cross_check(spec, known_areas)
    if problems:
        raise CatalogueError.listing([_describe(root, source, loc, m) for loc, m in problems])
    return spec
