"""Migration 0005 on a database that already holds areas: rings become GeoJSON Polygons, rows get
their origin, and reports still land where they did."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import text

from engine import schema
from engine.db import Database
from engine.models import Agency, Area, Origin
from engine.routing import locate

GAMBIR = [
    [106.818, -6.166],
    [106.835, -6.166],
    [106.835, -6.185],
    [106.818, -6.185],
    [106.818, -6.166],
]


def test_migration_0005_turns_rings_into_geometry_and_keeps_routing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    schema.upgrade(db.engine, "0004")
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO areas (id, code, name, level, depth, parent_id, polygon, min_lon, "
                "max_lon, min_lat, max_lat, active) VALUES (1, '31.71.01.1001', 'Kelurahan "
                "Gambir', 'kelurahan', 3, NULL, :ring, 106.818, 106.835, -6.185, -6.166, 1)"
            ),
            {"ring": str(GAMBIR).replace(" ", "")},
        )
        conn.execute(
            text(
                "INSERT INTO agencies (id, code, name, kind, area_id, email, head_email, active) "
                "VALUES (1, 'KEL-GAMBIR', 'Kantor Kelurahan Gambir', 'area_office', 1, "
                "'kel@tanggap.example', 'lurah@tanggap.example', 1)"
            )
        )

    schema.upgrade(db.engine)

    with db.engine.connect() as conn:  # the pooled connection has its foreign keys back on
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    with db.reading() as session:
        area = session.get(Area, 1)
        assert area is not None
        assert area.geometry == {"type": "Polygon", "coordinates": [GAMBIR]}
        assert area.origin == Origin.CATALOGUE
        office = session.get(Agency, 1)
        assert office is not None and office.origin == Origin.CATALOGUE
        assert locate(session, lat=-6.1754, lon=106.8272).code == "31.71.01.1001"

    config = schema.alembic_config(db.url)
    command.downgrade(config, "0004")

    with db.engine.connect() as conn:
        ring = conn.execute(text("SELECT polygon FROM areas WHERE id = 1")).scalar_one()
    assert json.loads(ring) == GAMBIR
    db.dispose()
