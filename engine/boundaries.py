"""Official boundary files: a GeoJSON FeatureCollection read into checked areas, nothing written.

Cities publish boundaries (their geoportal, BIG, Dukcapil) as GeoJSON with their own property
names and their own words for levels. A ``BoundaryMapping`` says which property holds the code,
the name, the level and (optionally) the parent's code, and which of the file's level words
mean which of Tanggap's levels. Without a parent property the parent comes from the code
itself: Kemendagri codes are hierarchical (``31.71.01.1001`` lies in ``31.71.01``).

Every feature is checked before anything is written, and every problem is reported at once,
each naming the feature's position and code. A geometry that is not valid (a ring crossing
itself, a bow tie) is repaired with shapely's ``make_valid`` keeping its polygonal part, and the
repair is reported; with ``repair=False``, or when nothing polygonal is left, it is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import mapping as to_geojson
from shapely.geometry import shape as from_geojson

from engine.catalogue.yaml_errors import read_yaml
from engine.errors import CatalogueError, RuleViolated
from engine.models import AreaLevel
from engine.photos import too_large
from engine.text import LIMITS, clean_text, code_key

#: Level words of Indonesian boundary files, and Tanggap's own, understood without a mapping.
LEVEL_WORDS: Mapping[str, AreaLevel] = {
    **{level.value: level for level in AreaLevel},
    "provinsi": AreaLevel.PROVINCE,
    "kabkota": AreaLevel.KOTA,
    "kab_kota": AreaLevel.KOTA,
    "kabupaten": AreaLevel.KOTA,
    "kota_administrasi": AreaLevel.KOTA,
    "kabupaten_administrasi": AreaLevel.KOTA,
    "desa": AreaLevel.KELURAHAN,
    "desa_kelurahan": AreaLevel.KELURAHAN,
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEMENDAGRI_DIGITS = {4: 2, 6: 4, 10: 6}  # digits of a code → digits of its parent's code
_WGS84 = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "EPSG:4326"}
_MAX_PROBLEMS = 30


@dataclass(frozen=True)
class BoundaryMapping:
    """Which of the file's properties mean what; ``levels`` adds to (or overrides) LEVEL_WORDS."""

    code: str = "code"
    name: str = "name"
    level: str = "level"
    #: A property holding the parent's code; ``None``: derive it from the hierarchical code.
    parent: str | None = None
    levels: Mapping[str, AreaLevel] = field(default_factory=dict)

    def level_of(self, word: str) -> AreaLevel | None:
        key = word.strip().lower()
        return self.levels.get(key) or LEVEL_WORDS.get(key)


@dataclass(frozen=True)
class BoundaryFeature:
    """One area of the file, checked: GeoJSON geometry as lists, bbox, parent code if any."""

    index: int
    code: str
    name: str
    level: AreaLevel
    parent: str | None
    geometry: dict[str, Any]
    bounds: tuple[float, float, float, float]
    #: Why the geometry was repaired (shapely's ``explain_validity``), if it was.
    repaired: str | None = None


@dataclass(frozen=True)
class BoundaryFile:
    source: str
    sha256: str
    features: list[BoundaryFeature]

    @property
    def repaired(self) -> dict[str, str]:
        return {f.code: f.repaired for f in self.features if f.repaired}


def parent_code(code: str) -> str | None:
    """The code one level up: ``31.71.01.1001`` → ``31.71.01``; ``3171011001`` → ``317101``."""
    if "." in code:
        return code.rsplit(".", 1)[0]
    if code.isdigit() and len(code) in _KEMENDAGRI_DIGITS:
        return code[: _KEMENDAGRI_DIGITS[len(code)]]
    return None


def parse_mapping(text: str, *, source: str = "mapping") -> BoundaryMapping:
    """A mapping file (YAML): ``code``, ``name``, ``level``, ``parent`` and ``levels``."""
    _root, data = read_yaml(text, source=source)
    if not isinstance(data, dict):
        raise CatalogueError(f"{source}: expected a mapping with code, name, level, levels")
    unknown = set(data) - {"code", "name", "level", "parent", "levels"}
    if unknown:
        raise CatalogueError(f"{source}: unknown keys {', '.join(sorted(map(str, unknown)))}")
    for key in ("code", "name", "level", "parent"):
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise CatalogueError(f"{source}: {key} must be a property name")
    levels = data.get("levels") or {}
    if not isinstance(levels, dict):
        raise CatalogueError(f"{source}: levels must map the file's words to Tanggap's levels")
    return BoundaryMapping(
        code=data.get("code", "code"),
        name=data.get("name", "name"),
        level=data.get("level", "level"),
        parent=data.get("parent"),
        levels=parse_level_words([f"{k}={v}" for k, v in levels.items()], source=source),
    )


def parse_level_words(pairs: list[str], *, source: str = "--levels") -> dict[str, AreaLevel]:
    """``["kabkota=kota", "desa=kelurahan"]`` → {word: level}."""
    levels: dict[str, AreaLevel] = {}
    known = ", ".join(level.value for level in AreaLevel)
    for pair in pairs:
        for item in filter(None, (p.strip() for p in pair.split(","))):
            word, sep, level = item.partition("=")
            # LEVEL is one of Tanggap's, compared as codes are (``code_key``): Kota is kota.
            tanggap = next((a for a in AreaLevel if code_key(a) == code_key(level)), None)
            if not sep or not word.strip() or tanggap is None:
                raise CatalogueError(f"{source}: {item!r} is not WORD=LEVEL (LEVEL: {known})")
            levels[word.strip().lower()] = tanggap
    return levels


def read_boundaries(
    data: bytes, mapping: BoundaryMapping, *, source: str, repair: bool = True
) -> BoundaryFile:
    """Parse and check the whole file; raise ``CatalogueError`` listing every problem."""
    checked = check_boundaries(data, mapping, source=source, repair=repair)
    if checked.problems:
        raise problem_list(checked.problems)
    return checked.file


def problem_list(problems: list[str]) -> CatalogueError:
    """Every problem, one a line, at most ``_MAX_PROBLEMS`` and then how many more."""
    shown = problems[:_MAX_PROBLEMS]
    if len(problems) > _MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - _MAX_PROBLEMS} more problems")
    return CatalogueError("\n".join(shown))


@dataclass(frozen=True)
class CheckedFile:
    """A file's sound features (``file``) and the problems of the others, each naming its
    feature; ``broken``: the codes of features that have a problem, so that a check of the
    sound ones (their parents) does not blame them for one of those."""

    file: BoundaryFile
    problems: list[str]
    broken: frozenset[str]


#: The largest boundaries file taken, in bytes: Jakarta's kelurahan are 0.8 MB; a province's
#: are tens of MB. The command line reads no further than one byte past it.
BOUNDARIES_LIMIT = 100 * 1024 * 1024


def check_boundaries(
    data: bytes, mapping: BoundaryMapping, *, source: str, repair: bool = True
) -> CheckedFile:
    """Parse the file and check each feature, listing the problems rather than raising for
    them, so a caller can add its own checks of the sound features and report all at once.
    ``CatalogueError`` when the file as a whole is unusable (larger than ``BOUNDARIES_LIMIT``,
    not JSON, not a collection)."""
    if len(data) > BOUNDARIES_LIMIT:
        raise CatalogueError(too_large(source, limit=BOUNDARIES_LIMIT, size=len(data)))
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{source}: not UTF-8 text: {exc.reason}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogueError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise CatalogueError(f"{source}: not a GeoJSON FeatureCollection")
    crs = ((document.get("crs") or {}).get("properties") or {}).get("name")
    if crs is not None and crs not in _WGS84:
        raise CatalogueError(
            f"{source}: coordinates must be WGS84 longitude/latitude (RFC 7946), not {crs}"
        )
    raw = document.get("features")
    if not isinstance(raw, list) or not raw:
        raise CatalogueError(f"{source}: the FeatureCollection has no features")

    problems: list[str] = []
    features: list[BoundaryFeature] = []
    broken: set[str] = set()
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        feature, errors = _read_feature(index, item, mapping, repair)
        label = f"{source}: features[{index}]"
        code = feature.code if feature is not None else _code_of(item, mapping)
        # A code given twice is a problem of its own, whatever else is wrong with either
        # feature: it is listed with the rest, not only once they are mended.
        if code is not None and code in seen:
            errors.append(f"duplicate code (also features[{seen[code]}])")
        elif code is not None:
            seen[code] = index
        problems.extend(f"{label} ({code or 'no code'}): {e}" for e in errors)
        if feature is not None and not errors:
            features.append(feature)
        elif code is not None:
            broken.add(code)
    checked = BoundaryFile(
        source=source, sha256=hashlib.sha256(data).hexdigest(), features=features
    )
    return CheckedFile(checked, problems, frozenset(broken))


def _code_of(item: Any, mapping: BoundaryMapping) -> str | None:
    properties = item.get("properties") if isinstance(item, dict) else None
    value = properties.get(mapping.code) if isinstance(properties, dict) else None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


def _read_feature(
    index: int, item: Any, mapping: BoundaryMapping, repair: bool
) -> tuple[BoundaryFeature | None, list[str]]:
    if not isinstance(item, dict) or item.get("type") != "Feature":
        return None, ["not a GeoJSON Feature"]
    properties = item.get("properties")
    if not isinstance(properties, dict):
        return None, ["has no properties"]
    errors: list[str] = []

    code = _code_of(item, mapping)
    if code is None:
        errors.append(f"property {mapping.code!r} (the code) is missing or not text")
    elif len(code) > LIMITS["area_code"] or not _CODE.match(code):
        errors.append(f"code {code[:60]!r} is not a valid code (letters, digits, . _ -)")

    name = ""
    try:
        name = (
            clean_text(
                properties.get(mapping.name),
                field=f"the name (property {mapping.name!r})",
                limit=LIMITS["area_name"],
                required=True,
                multiline=False,
            )
            or ""
        )
    except RuleViolated as exc:
        errors.append(exc.message)

    word = properties.get(mapping.level)
    level = mapping.level_of(word) if isinstance(word, str) else None
    if level is None:
        known = ", ".join(sorted({*LEVEL_WORDS, *mapping.levels}))
        if mapping.level not in properties:
            errors.append(
                f"no property {mapping.level!r} for the level; name the property holding "
                "each area's level word with --level PROPERTY"
            )
        elif not isinstance(word, str) or not word.strip():
            errors.append(
                f"level {word!r} (property {mapping.level!r}) is not a level word (known: {known})"
            )
        else:
            errors.append(
                f"level {word!r} (property {mapping.level!r}) is not a known level word; "
                f"map it with --levels {word}=kelurahan (known: {known})"
            )

    parent: str | None = None
    if mapping.parent is not None:
        value = properties.get(mapping.parent)
        if value is not None and (not isinstance(value, str | int) or isinstance(value, bool)):
            errors.append(f"property {mapping.parent!r} (the parent's code) is not text")
        parent = str(value) if value not in (None, "") else None
    elif code is not None:
        parent = parent_code(code)

    geometry, bounds, repaired, geometry_errors = _read_geometry(item.get("geometry"), repair)
    errors.extend(geometry_errors)
    if errors or code is None or level is None or geometry is None or bounds is None:
        return None, errors
    feature = BoundaryFeature(
        index=index,
        code=code,
        name=name,
        level=level,
        parent=parent,
        geometry=geometry,
        bounds=bounds,
        repaired=repaired,
    )
    return feature, []


def _read_geometry(
    raw: Any, repair: bool
) -> tuple[dict[str, Any] | None, tuple[float, float, float, float] | None, str | None, list[str]]:
    if not isinstance(raw, dict) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        kind = raw.get("type") if isinstance(raw, dict) else raw
        return None, None, None, [f"geometry {kind!r} is not a Polygon or MultiPolygon"]
    broken = _not_a_number(raw.get("coordinates"), "coordinates")
    if broken is not None:  # else shapely says a ring with NaN "does not form a closed linestring"
        return None, None, None, [f"geometry {broken}"]
    try:
        geometry = from_geojson(raw)
    except (ValueError, TypeError, IndexError, AttributeError, shapely.errors.ShapelyError) as exc:
        return None, None, None, [f"geometry coordinates are malformed ({exc})"]
    if geometry.is_empty:
        return None, None, None, ["geometry is empty"]
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if not all(map(math.isfinite, geometry.bounds)) or not (
        -180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90
    ):
        return None, None, None, ["coordinates are not [longitude, latitude] in WGS84"]
    stored = {"type": raw["type"], "coordinates": raw["coordinates"]}
    if geometry.is_valid:
        return stored, geometry.bounds, None, []
    reason = shapely.is_valid_reason(geometry)
    if not repair:
        return None, None, None, [f"geometry is not valid ({reason}); repair is off"]
    fixed = _polygonal(shapely.make_valid(geometry))
    if fixed is None:
        return None, None, None, [f"geometry is not valid ({reason}) and cannot be repaired"]
    stored = json.loads(json.dumps(to_geojson(fixed)))
    return stored, fixed.bounds, reason, []


def _not_a_number(value: Any, path: str) -> str | None:
    """Where the first coordinate that is no finite number sits, in words naming it
    (``coordinates[0][3][1] is not a number``); None when every number is one."""
    if isinstance(value, list):
        for index, inner in enumerate(value):
            found = _not_a_number(inner, f"{path}[{index}]")
            if found is not None:
                return found
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # not a number at all: shapely's own words say what is malformed
    if math.isnan(value):
        return f"{path} is not a number"
    if math.isinf(value):
        return f"{path} is not a finite number"
    return None


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """The Polygon or MultiPolygon part of what ``make_valid`` returned (it may add lines)."""
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if part.geom_type in ("Polygon", "MultiPolygon") and not part.is_empty
    ]
    polygons = [p for part in parts for p in shapely.get_parts(part)]
    if not polygons:
        return None
    merged = shapely.union_all(polygons)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None
