"""The read side: what the API and the command line show, as plain dataclasses.

``public`` and ``feeds`` never read personal data; ``staff`` cuts every query to the viewer's
key; ``figures`` aggregates for supervisors.
"""

from engine.queries.feeds import (
    PublicUpdate,
    Service,
    latest_notes_and_photos,
    list_public_updates,
    list_services,
)
from engine.queries.figures import Figures, GroupBy, GroupFigures, Rate, figures
from engine.queries.media import StoredPhoto, find_stored_photo, may_fetch
from engine.queries.public import (
    Page,
    PublicEvent,
    PublicFilter,
    PublicPhoto,
    PublicTicket,
    distance_m,
    get_public,
    list_public,
    nearby_open,
)
from engine.queries.staff import (
    EscalationItem,
    Reporter,
    StaffEvent,
    TicketDetail,
    WorkFilter,
    WorkItem,
    WorkPage,
    list_escalations,
    ticket_detail,
    worklist,
)
from engine.queries.suggestions import suggest_duplicates
from engine.queries.tickets import TicketFilter, TicketLine, TicketListing, list_tickets

__all__ = [
    "EscalationItem",
    "Figures",
    "GroupBy",
    "GroupFigures",
    "Page",
    "PublicEvent",
    "PublicFilter",
    "PublicPhoto",
    "PublicTicket",
    "PublicUpdate",
    "Rate",
    "Reporter",
    "Service",
    "StaffEvent",
    "StoredPhoto",
    "TicketDetail",
    "TicketFilter",
    "TicketLine",
    "TicketListing",
    "WorkFilter",
    "WorkItem",
    "WorkPage",
    "distance_m",
    "figures",
    "find_stored_photo",
    "get_public",
    "latest_notes_and_photos",
    "list_escalations",
    "list_public",
    "list_public_updates",
    "list_services",
    "list_tickets",
    "may_fetch",
    "nearby_open",
    "suggest_duplicates",
    "ticket_detail",
    "worklist",
]
