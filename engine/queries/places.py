"""Places by name and area outlines, from the boundaries the city already holds (no geocoder).

``search_places`` finds kelurahan, kecamatan and kota by their official names, offline: typing
"Gambir" offers "Kelurahan Gambir, Kecamatan Gambir, Jakarta Pusat" with a point well inside it
(shapely's ``representative_point``), where a report page puts its pin for the citizen to refine.
``search_address`` does it for a whole address ("Jl. Cideng Barat 12, Gambir"), and says when one
place is a clear answer: a report sent without the page's script is placed there by its address
alone (``AddressSearch.placed``), else the citizen chooses among the places found.
``area_outlines`` gives the simplified outlines of the areas in a map's view, so a map without
tiles still shows where it is.

Both read the areas that place points (the official boundaries once imported, else the
catalogue's), like ``engine.routing``. Each process keeps what it derived (names, points,
simplified shapes) for the newest catalogue revision; any load or import writes a new revision.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.caches import StateCache
from engine.errors import RuleViolated
from engine.models import Area, AreaLevel, CatalogueRevision, Origin, area_title
from engine.text import LIMITS, clean_text

#: At most this many outlines per answer: a slow connection gets a light map.
OUTLINE_LIMIT = 80
#: Simplification tolerance per level, in degrees (1e-4 ≈ 11 m): about a screen pixel at the
#: zoom each level is drawn at.
_TOLERANCE = {AreaLevel.KOTA: 8e-4, AreaLevel.KECAMATAN: 2.5e-4, AreaLevel.KELURAHAN: 6e-5}
#: Coordinates are rounded to 5 decimals (about a metre).
_DIGITS = 5
#: Official names that carry a prefix a citizen never types nor needs to read.
_KOTA_PREFIXES = ("kota administrasi ", "kabupaten administrasi ", "kota adm. ", "kab. adm. ")
#: Words an address puts before a name to say its level ("Kel. Cideng, Kec. Gambir"). The
#: catalogue writes them at the head of names ("Kecamatan Gambir"), the official boundaries do
#: not ("GAMBIR"): a name is read without the head words of its own level, and a typed one that
#: is no word of an area's names ("kec", but the "kota" of Kelurahan Kota Bambu Selatan is)
#: only prefers areas of its level.
_LEVEL_WORDS: dict[str, AreaLevel | None] = {
    "kel": AreaLevel.KELURAHAN,
    "kelurahan": AreaLevel.KELURAHAN,
    "desa": AreaLevel.KELURAHAN,
    "kec": AreaLevel.KECAMATAN,
    "kecamatan": AreaLevel.KECAMATAN,
    "kota": AreaLevel.KOTA,
    "kab": AreaLevel.KOTA,
    "kabupaten": AreaLevel.KOTA,
    "adm": None,
    "administrasi": None,
}


@dataclass(frozen=True)
class Place:
    """An area found by name: where to put the pin, and how to say which one it is."""

    code: str
    #: Its title (``area_title``): "Kelurahan Gambir".
    name: str
    level: AreaLevel
    #: The area and those above it up to the kota: "Kelurahan Gambir, Kecamatan Gambir, Jakarta
    #: Pusat".
    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Outline:
    code: str
    name: str
    level: AreaLevel
    #: GeoJSON geometry, simplified for the level's zoom, coordinates rounded to about a metre.
    geometry: dict[str, Any]
    #: Where to write its name (inside the area).
    label_at: tuple[float, float]


@dataclass
class _Entry:
    code: str
    name: str
    level: AreaLevel
    label: str
    words: tuple[str, ...]
    chain_words: tuple[str, ...]
    bbox: tuple[float, float, float, float]
    geometry: dict[str, Any]
    point: tuple[float, float] | None = None
    outline: Outline | None = None
    #: The codes of the areas above it (its kecamatan, its kota), nearest first.
    chain_codes: tuple[str, ...] = ()


@dataclass
class _Gazetteer:
    entries: list[_Entry] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def normalise(text: str) -> str:
    """Lower case, accents and punctuation gone: "Kebon Kacang" == "kebon-kacang"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", plain.lower()).strip()


def _name_words(name: str, level: AreaLevel) -> tuple[str, ...]:
    """The words of a name without those at its head that say its own level ("Kota
    Administrasi Jakarta Pusat": jakarta, pusat; Kelurahan Kota Bambu Selatan keeps its "kota");
    a name of such words only keeps them."""
    words = normalise(name).split()
    head = 0
    while head < len(words) and words[head] in _LEVEL_WORDS:
        if _LEVEL_WORDS[words[head]] not in (level, None):
            break
        head += 1
    return tuple(words[head:]) or tuple(words)


def short_name(name: str, level: AreaLevel) -> str:
    """An area's title (``area_title``: "Kelurahan Gambir") made short for a label on a map or
    in a list of places: "Kota Administrasi Jakarta Pusat" → "Jakarta Pusat"."""
    if level is AreaLevel.KOTA:
        lowered = name.lower()
        for prefix in _KOTA_PREFIXES:
            if lowered.startswith(prefix):
                return name[len(prefix) :]
    return area_title(name, level)


def _revision(session: Session) -> tuple[Any, ...]:
    newest = session.execute(
        select(CatalogueRevision.id, CatalogueRevision.token)
        .order_by(CatalogueRevision.id.desc())
        .limit(1)
    ).first()
    bind = session.get_bind()
    return (str(bind.engine.url), id(bind.engine), *(newest or ()))


_gazetteers: StateCache[_Gazetteer] = StateCache()


def _build(session: Session) -> _Gazetteer:
    rows = session.execute(
        select(
            Area.id,
            Area.code,
            Area.name,
            Area.level,
            Area.parent_id,
            Area.origin,
            Area.geometry,
            Area.min_lon,
            Area.min_lat,
            Area.max_lon,
            Area.max_lat,
        ).where(Area.active)
    ).all()
    by_id = {row.id: row for row in rows}
    official = any(row.origin == Origin.BOUNDARIES for row in rows)
    gazetteer = _Gazetteer()
    for row in rows:
        level = AreaLevel(row.level)
        if level is AreaLevel.PROVINCE or (official and row.origin != Origin.BOUNDARIES):
            continue
        chain, seen, parent = [row], {row.id}, by_id.get(row.parent_id)
        while parent is not None and parent.id not in seen:
            if AreaLevel(parent.level) is not AreaLevel.PROVINCE:
                chain.append(parent)
            seen.add(parent.id)
            parent = by_id.get(parent.parent_id)
        names = [short_name(a.name, AreaLevel(a.level)) for a in chain]
        gazetteer.entries.append(
            _Entry(
                code=row.code,
                name=row.name,
                level=level,
                label=", ".join(names),
                words=_name_words(row.name, level),
                chain_words=tuple(
                    w for a in chain[1:] for w in _name_words(a.name, AreaLevel(a.level))
                ),
                bbox=(row.min_lon, row.min_lat, row.max_lon, row.max_lat),
                geometry=row.geometry,
                chain_codes=tuple(a.code for a in chain[1:]),
            )
        )
    gazetteer.entries.sort(key=lambda e: (-e.level.depth, e.label))
    return gazetteer


def _gazetteer(session: Session) -> _Gazetteer:
    return _gazetteers.get(_revision(session), lambda: _build(session))


def _point(entry: _Entry) -> tuple[float, float]:
    if entry.point is None:
        inside = shape(entry.geometry).representative_point()
        entry.point = (round(inside.y, 6), round(inside.x, 6))
    return entry.point


#: How well an area matches what was typed, higher better: typed words that begin a word of its
#: own name; whether they stand in its name as typed; whether they are its whole name; whether
#: its level is one a typed level word ("kel", "kec") named.
_Score = tuple[int, int, int, int]


def _levels_named(words: list[str]) -> set[AreaLevel | None]:
    """The levels the typed ``words`` name by a level word ("kel", "kecamatan")."""
    return {_LEVEL_WORDS[w] for w in words if w in _LEVEL_WORDS}


def _matches(session: Session, text: str) -> tuple[_Gazetteer, list[tuple[_Score, _Entry]]]:
    """The areas ``text`` names, best first (by ``_Score``, then the most precise level), each
    with its score."""
    words = normalise(text).split()
    levels = _levels_named(words)
    gazetteer = _gazetteer(session)
    if not words or len("".join(words)) < 2:
        return gazetteer, []
    scored: list[tuple[_Score, int, str, _Entry]] = []
    for entry in gazetteer.entries:
        names = (*entry.words, *entry.chain_words)
        # A level word, or a number (a house number, a postcode), that begins no word of the
        # area's names is no part of its name.
        typed = [
            w
            for w in words
            if (w not in _LEVEL_WORDS and not w.isdigit())
            or any(word.startswith(w) for word in names)
        ]
        own = sum(1 for w in typed if any(word.startswith(w) for word in entry.words))
        if not own:
            continue
        if any(not any(word.startswith(w) for word in names) for w in typed):
            continue
        exact = int(" ".join(typed) in " ".join(entry.words))
        whole = int(tuple(typed) == entry.words)
        score = (own, exact, whole, int(entry.level in levels))
        scored.append((score, entry.level.depth, entry.label, entry))
    scored.sort(key=lambda s: (tuple(-x for x in s[0]), -s[1], s[2]))
    return gazetteer, [(score, e) for score, _depth, _label, e in scored]


def _places(gazetteer: _Gazetteer, entries: list[_Entry]) -> list[Place]:
    with gazetteer.lock:
        return [
            Place(e.code, area_title(e.name, e.level), e.level, e.label, *_point(e))
            for e in entries
        ]


def search_places(session: Session, text: str, *, limit: int = 8) -> list[Place]:
    """Areas whose name matches what was typed: every typed word begins a word of the area's
    name or of the names above it, and at least one begins a word of its own name; a word that
    says a level ("kel", "kecamatan") is no part of a name, and prefers areas of that level.
    Best first: most words matched in its own name, the words as typed, the whole name, the
    level named, then the most precise level."""
    gazetteer, found = _matches(session, text)
    return _places(gazetteer, [e for _score, e in found[: max(1, min(limit, 20))]])


@dataclass(frozen=True)
class AddressSearch:
    """The places an address names (``search_address``), best first."""

    #: What was looked up: the whole address, or the end of it that names a place.
    searched: str
    places: list[Place]
    #: The place to take without asking: the only one found, or the first when it matches
    #: better than every other (more of the typed words, the words as typed, its whole name, the
    #: level typed: "Kec. Gambir"). ``None`` when several match alike ("Gambir": the kelurahan
    #: and the kecamatan): the citizen chooses.
    best: Place | None

    def placed(self, chosen: str | None = None) -> Place | None:
        """Where a report sent with this address alone goes: the place the citizen chose (an
        area code) when it is one of ``places`` — a choice offered for another address is no
        choice for this one — else ``best`` when it is a kelurahan; ``None`` when the citizen
        must choose.

        Raises ``RuleViolated`` (key ``place_not_found``, ``params.field`` "address") when the
        address names no area of the city: the report cannot be placed by it.
        """
        if not self.places:
            raise RuleViolated(
                "the address names no kelurahan, kecamatan or kota of the city: give a place "
                "name (e.g. Gambir) or the coordinates",
                key="place_not_found",
                params={"field": "address"},
            )
        for place in self.places:
            if place.code == chosen:
                return place
        if self.best is not None and self.best.level is AreaLevel.KELURAHAN:
            return self.best
        # A kecamatan or a city is placed only when chosen: its middle lies in one of its
        # kelurahan, whose office the report would go to.
        return None


def _tries(address: str) -> list[str]:
    """What to look up for ``address``, in order: the whole of it, then what follows each of its
    commas ("Jl. Cideng Barat 12, Gambir, Jakarta Pusat": "Gambir, Jakarta Pusat", then "Jakarta
    Pusat") — Indonesian addresses end with the kelurahan, kecamatan and city, and the names
    above an area narrow it — then each comma-separated part from the last (an address that
    ends in a postcode or a province this city holds no area for)."""
    text = " ".join(address.split())
    parts = [p.strip() for p in text.split(",")]
    tails = [", ".join(p for p in parts[i:] if p) for i in range(1, len(parts))]
    tries: list[str] = []
    for candidate in [text, *tails, *reversed(parts)]:
        if len(normalise(candidate)) >= 3 and candidate not in tries:
            tries.append(candidate)
    return tries


def _named_within(text: str, found: list[tuple[_Score, _Entry]]) -> _Entry | None:
    """The one area of the best-scored ones that lies within all the others, when ``text``
    names each of their levels ("Kel. Gambir, Kec. Gambir": the kelurahan Gambir within the
    kecamatan Gambir): an address that names a kelurahan and its kecamatan means the
    kelurahan. None when the levels are not all named ("Gambir" alone stays a choice)."""
    best = [entry for score, entry in found if score == found[0][0]]
    named = _levels_named(normalise(text).split())
    if not {entry.level for entry in best} <= named:
        return None
    within = [e for e in best if all(o is e or o.code in e.chain_codes for o in best)]
    return within[0] if len(within) == 1 else None


def search_address(
    session: Session,
    address: str,
    *,
    limit: int = 8,
    field: str = "address",
    required: bool = False,
) -> AddressSearch:
    """The kelurahan, kecamatan and kota an address names, from the city's own area names (no
    geocoder): the first of its ``_tries`` that finds any, best first (``search_places``), at
    most ``limit``. Finding none is no error here: ``places`` is empty.

    The address is first held to the text rules of a report's address (``clean_text``, one
    line, its length limit), naming ``field``: a text the report would refuse is refused
    before any search, never answered as naming no place. A blank one (spaces, zero-width
    characters) is an empty search (``searched`` ""), or ``field_required`` when
    ``required``."""
    cleaned = clean_text(
        address, field=field, limit=LIMITS["address"], required=required, multiline=False
    )
    if cleaned is None:
        return AddressSearch("", [], None)
    for text in _tries(cleaned):
        gazetteer, found = _matches(session, text)
        if not found:
            continue
        shown = found[: max(1, min(limit, 20))]
        places = _places(gazetteer, [e for _score, e in shown])
        clear = len(found) == 1 or found[0][0] > found[1][0]
        if not clear:
            narrowest = _named_within(text, found)
            if narrowest is not None:
                return AddressSearch(text, places, _places(gazetteer, [narrowest])[0])
        return AddressSearch(text, places, places[0] if clear else None)
    return AddressSearch(" ".join(cleaned.split()), [], None)


def outline_level(zoom: int) -> AreaLevel:
    """The level whose outlines fit a map at ``zoom`` (a city at 11, a kecamatan at 13)."""
    if zoom <= 11:
        return AreaLevel.KOTA
    if zoom <= 13:
        return AreaLevel.KECAMATAN
    return AreaLevel.KELURAHAN


def _rounded(coordinates: Any) -> Any:
    if isinstance(coordinates, (int, float)):
        return round(float(coordinates), _DIGITS)
    return [_rounded(c) for c in coordinates]


def _outline(entry: _Entry) -> Outline:
    if entry.outline is None:
        geometry = shape(entry.geometry)
        simple = shapely.simplify(geometry, _TOLERANCE[entry.level], preserve_topology=True)
        shape_json = dict(mapping(simple))
        lat, lon = _point(entry)
        entry.outline = Outline(
            entry.code,
            short_name(entry.name, entry.level),
            entry.level,
            {"type": shape_json["type"], "coordinates": _rounded(shape_json["coordinates"])},
            (lat, lon),
        )
    return entry.outline


def area_outlines(
    session: Session, *, bbox: tuple[float, float, float, float], zoom: int
) -> list[Outline]:
    """Outlines of the areas of the level that suits ``zoom`` whose extent meets ``bbox``
    (min_lon, min_lat, max_lon, max_lat), nearest the view's centre first, at most
    ``OUTLINE_LIMIT``."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if min_lon > max_lon or min_lat > max_lat:
        raise RuleViolated(
            "the view is min_lon, min_lat, max_lon, max_lat, smallest first",
            params={"field": "max_lon" if min_lon > max_lon else "max_lat"},
        )
    level = outline_level(zoom)
    centre = ((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
    gazetteer = _gazetteer(session)
    seen = [
        e
        for e in gazetteer.entries
        if e.level is level
        and e.bbox[0] <= max_lon
        and e.bbox[2] >= min_lon
        and e.bbox[1] <= max_lat
        and e.bbox[3] >= min_lat
    ]

    def off_centre(e: _Entry) -> float:
        return ((e.bbox[0] + e.bbox[2]) / 2 - centre[0]) ** 2 + (
            (e.bbox[1] + e.bbox[3]) / 2 - centre[1]
        ) ** 2

    seen.sort(key=lambda e: (off_centre(e), e.code))
    with gazetteer.lock:
        return [_outline(e) for e in seen[:OUTLINE_LIMIT]]
