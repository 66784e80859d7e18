"""Alembic migrations; run with ``tanggap db upgrade`` (see ``engine/schema.py``)."""
