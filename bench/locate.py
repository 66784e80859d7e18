"""Benchmark of placing report locations in the official boundaries (issue 8).

Method
------
1. A fresh SQLite database in a temporary directory: ``schema.upgrade``, the shipped catalogue,
   then ``import_boundaries`` of the official file (default: DKI Jakarta, 317 areas, from
   ``../shared/real_data``), timed; a second import of the same file (which must change
   nothing), timed. The import's peak memory is measured in a second fresh database under
   ``tracemalloc`` (Python allocations; shapely/GEOS allocate outside it), and the process's
   peak RSS (``ru_maxrss``) is printed at the end.
2. Points: ``--points`` random points inside the 267 kelurahan (a kelurahan drawn uniformly,
   then a point drawn uniformly in its bbox until its polygon covers it), fixed seed.
3. Three ways to place them, each over the same points, ``--repeat`` timed runs after one
   warm-up, best and median reported:

   * **bare STRtree** (the baseline): an STRtree over the 267 kelurahan geometries alone;
     per point ``tree.query(Point(lon, lat), predicate="covered_by")`` and the first hit.
     It knows no hierarchy, tolerance or tie rule, and nothing of the database.
   * **AreaIndex.place**: the engine's in-memory index over all 317 areas (one STRtree per
     level, prepared geometries, the overlap rule, the tolerance for points in no area).
   * **routing.locate**: what ``submit`` calls: the index-freshness check against the database
     (one indexed ``SELECT`` of the newest catalogue revision), ``AreaIndex.place`` and the
     ``Area`` row from the session (identity map); one transaction, so the freshness check is
   read once, as in one submission. Run on the first 20,000 points.

   The three take turns within each round (so load from elsewhere hits them alike); ratio =
   the median over rounds of points/s ÷ points/s of the bare STRtree in the same round (goal
   ≥ 0.5 for ``AreaIndex.place``).
4. Cold start: building the index from the database (``build_index``), timed.

Nothing here asserts on time; it prints. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry import shape as from_geojson

from engine import routing
from engine.areas import import_boundaries
from engine.boundaries import parse_mapping
from engine.catalogue import load_catalogue
from engine.db import Database
from engine.schema import upgrade

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILE = ROOT.parent / "shared" / "real_data" / "dki_jakarta_wilayah_kemendagri.geojson"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def fresh_database(directory: Path, name: str) -> Database:
    db = Database(f"sqlite:///{directory / name}")
    upgrade(db.engine)
    catalogue = ROOT / "catalogue" / "jakarta.yaml"
    with db.transaction() as session:
        load_catalogue(session, catalogue.read_text(), source=str(catalogue), now=NOW)
    return db


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def sample_points(features: list[dict[str, Any]], n: int, seed: int) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    shapes = [from_geojson(f["geometry"]) for f in features]
    points: list[tuple[float, float]] = []
    while len(points) < n:
        shape = rng.choice(shapes)
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        while True:
            lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
            if shape.covers(Point(lon, lat)):
                points.append((lat, lon))
                break
    return points


def measure(
    runs: dict[str, tuple[Callable[[], Any], int]], repeat: int
) -> dict[str, tuple[float, float, float]]:
    """Per way: (best pts/s, median pts/s, median of the per-round ratios to the first way).

    The ways take turns within each round, so a burst of load from elsewhere on the machine
    hits all of them alike; the ratio is taken round by round."""
    for run, _ in runs.values():
        run()  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, (run, count) in runs.items():
            seconds, _ = timed(run)
            rates[name].append(count / seconds)
    first = next(iter(runs))
    return {
        name: (
            max(values),
            statistics.median(values),
            statistics.median(v / b for v, b in zip(values, rates[first], strict=True)),
        )
        for name, values in rates.items()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument(
        "--mapping", type=Path, default=ROOT / "catalogue" / "kemendagri-boundaries.yaml"
    )
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)

    data = args.file.read_bytes()
    mapping = parse_mapping(args.mapping.read_text(), source=str(args.mapping))
    features = json.loads(data)["features"]
    kelurahan = [f for f in features if f["properties"][mapping.level] == "kelurahan"]

    with tempfile.TemporaryDirectory(prefix="tanggap-locate-") as tmp:
        directory = Path(tmp)
        db = fresh_database(directory, "bench.db")

        def do_import() -> Any:
            with db.transaction() as session:
                return import_boundaries(session, data, mapping, source=args.file.name, now=NOW)

        import_s, first = timed(do_import)
        reimport_s, second = timed(do_import)
        if second.changed:
            sys.exit(f"the second import changed something: {second.as_dict()}")

        memory_db = fresh_database(directory, "memory.db")
        tracemalloc.start()
        with memory_db.transaction() as session:
            import_boundaries(session, data, mapping, source=args.file.name, now=NOW)
        _, import_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory_db.dispose()

        points = sample_points(kelurahan, args.points, args.seed)
        shapes = [from_geojson(f["geometry"]) for f in kelurahan]
        tree = STRtree(shapes)

        def bare() -> list[int | None]:
            found: list[int | None] = []
            for lat, lon in points:
                hits = tree.query(Point(lon, lat), predicate="covered_by")
                found.append(int(hits[0]) if len(hits) else None)
            return found

        with db.reading() as session:
            build_s, index = timed(lambda: routing.build_index(session))

            def ours() -> list[routing.Placement | None]:
                return [index.place(lat, lon) for lat, lon in points]

            few = points[:20_000]

            def end_to_end() -> list[Any]:
                return [routing.locate(session, lat=lat, lon=lon) for lat, lon in few]

            results = measure(
                {
                    "bare STRtree covered_by (baseline)": (bare, len(points)),
                    "AreaIndex.place (engine, in memory)": (ours, len(points)),
                    "routing.locate (+ DB freshness check)": (end_to_end, len(few)),
                },
                args.repeat,
            )

            codes = [f["properties"][mapping.code] for f in kelurahan]
            baseline = [codes[i] if i is not None else None for i in bare()]
            placed = [p.code if p else None for p in ours()]
        db.dispose()

    agree = sum(a == b for a, b in zip(baseline, placed, strict=True))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"# bench.locate — {args.file.name}: {len(features)} areas, {len(kelurahan)} kelurahan")
    print(f"points: {len(points):,} inside kelurahan (seed {args.seed}), repeat {args.repeat}")
    print()
    print(f"| {'how':38} | {'best pts/s':>11} | {'median pts/s':>12} | {'ratio':>6} |")
    print(f"|{'-' * 40}|{'-' * 13}:|{'-' * 14}:|{'-' * 7}:|")
    for name, (best, median, ratio) in results.items():
        print(f"| {name:38} | {best:11,.0f} | {median:12,.0f} | {ratio:6.2f} |")
    print()
    print(f"same kelurahan as the baseline's first hit: {agree:,} of {len(points):,}")
    print(
        f"import ({first.as_dict().get('area.created', 0)} created, "
        f"{first.as_dict().get('area.updated', 0)} updated, "
        f"{first.as_dict().get('area_office.created', 0)} offices): {import_s:.2f} s"
    )
    print(f"import again (no change): {reimport_s:.2f} s")
    print(f"index build from the database (cold cache): {build_s * 1000:.0f} ms")
    print(f"import peak Python memory (tracemalloc): {import_peak / 2**20:.1f} MiB")
    print(f"process peak RSS: {rss_mb:.0f} MiB")


if __name__ == "__main__":
    main()
