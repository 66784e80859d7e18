"""official area boundaries: GeoJSON geometry, row origin, area office rules, revision token

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30

Areas keep a GeoJSON geometry instead of one [lon, lat] ring, so MultiPolygons (islands, a
kelurahan cut by a river mouth) work; existing rings become Polygons. Areas and agencies record
where they came from (catalogue file, boundary import, area office rule) so that each source
deactivates only its own rows. Catalogue revisions get a random token that keys the spatial
index cache.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_areas = sa.table(
    "areas",
    sa.column("id", sa.Integer()),
    sa.column("polygon", sa.JSON()),
    sa.column("geometry", sa.JSON()),
    sa.column("origin", sa.String()),
)
_agencies = sa.table("agencies", sa.column("origin", sa.String()))


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    op.create_table(
        "area_office_rules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("head_email", sa.String(length=254), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_area_office_rules")),
        sa.UniqueConstraint("level", name=op.f("uq_area_office_rules_level")),
    )
    with op.batch_alter_table("catalogue_revisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=20), nullable=True))
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("geometry", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("origin", sa.String(length=20), nullable=True))

    connection = op.get_bind()
    for area_id, ring in connection.execute(sa.select(_areas.c.id, _areas.c.polygon)).all():
        geometry = {"type": "Polygon", "coordinates": [_loaded(ring)]}
        connection.execute(_areas.update().where(_areas.c.id == area_id).values(geometry=geometry))
    connection.execute(_areas.update().values(origin="catalogue"))
    connection.execute(_agencies.update().values(origin="catalogue"))

    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.alter_column("origin", existing_type=sa.String(length=20), nullable=False)
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.alter_column("geometry", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("origin", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("polygon")


def downgrade() -> None:
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("polygon", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for area_id, geometry in connection.execute(sa.select(_areas.c.id, _areas.c.geometry)).all():
        shape = _loaded(geometry)
        # A MultiPolygon cannot go back into one ring: keep the outer ring of its first part.
        ring = shape["coordinates"][0] if shape["type"] == "Polygon" else shape["coordinates"][0][0]
        connection.execute(_areas.update().where(_areas.c.id == area_id).values(polygon=ring))
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.alter_column("polygon", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("origin")
        batch_op.drop_column("geometry")
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.drop_column("origin")
    with op.batch_alter_table("catalogue_revisions", schema=None) as batch_op:
        batch_op.drop_column("token")
    op.drop_table("area_office_rules")
