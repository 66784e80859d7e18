"""ORM models. Import from here; the submodules group them by domain noun."""

from engine.models.base import Base, UTCDateTime
from engine.models.catalogue import (
    Agency,
    AgencyKind,
    Area,
    AreaLevel,
    AreaOfficeRule,
    CatalogueRevision,
    Category,
    Origin,
    Priority,
    RoutingRule,
    area_title,
)
from engine.models.keys import ApiKey
from engine.models.mail import MailEvent, UndeliverableAddress
from engine.models.sla import (
    Escalation,
    MailedTogether,
    Notification,
    NotificationKind,
    NotificationStatus,
    SlaCalendar,
    SlaLadder,
    SlaPolicy,
    SlaTimer,
)
from engine.models.staff import Staff
from engine.models.subscription import Subscription
from engine.models.ticket import Attachment, Ticket, TicketEvent

__all__ = [
    "Agency",
    "AgencyKind",
    "ApiKey",
    "Area",
    "AreaLevel",
    "AreaOfficeRule",
    "Attachment",
    "Base",
    "CatalogueRevision",
    "Category",
    "Escalation",
    "MailEvent",
    "MailedTogether",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "Origin",
    "Priority",
    "RoutingRule",
    "SlaCalendar",
    "SlaLadder",
    "SlaPolicy",
    "SlaTimer",
    "Staff",
    "Subscription",
    "Ticket",
    "TicketEvent",
    "UTCDateTime",
    "UndeliverableAddress",
    "area_title",
]
