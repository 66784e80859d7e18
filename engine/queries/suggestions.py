"""What a citizen is shown *before* sending a report: open reports of the same category nearby.

The same search the submission answers with afterwards (``engine.reports.submit_report``), with
the category's own radius when the catalogue sets one, so a page never guesses a second radius.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.catalogue.lookup import get_category
from engine.models import Category
from engine.queries.public import PublicTicket, nearby_open
from engine.settings import Settings


def suggest_duplicates(
    session: Session,
    *,
    category: str,
    lat: float,
    lon: float,
    now: datetime,
    settings: Settings,
    limit: int = 5,
) -> list[PublicTicket]:
    """Open reports of ``category`` near (lat, lon), nearest first; none for an inactive
    category (the form will say so when it is sent). An unknown category is refused as the
    API refuses it (``UnknownCategory``, naming ``category``), never an empty answer."""
    row = session.execute(
        select(Category.id, Category.duplicate_radius_m).where(
            Category.code == category, Category.active
        )
    ).first()
    if row is None:
        get_category(session, category)  # unknown: refused, naming the codes there are
        return []
    return nearby_open(
        session,
        category=category,
        lat=lat,
        lon=lon,
        radius_m=row.duplicate_radius_m or settings.duplicate_radius_m,
        days=settings.duplicate_days,
        now=now,
        limit=limit,
    )
