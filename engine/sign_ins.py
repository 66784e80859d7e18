"""Web sign-ins: a staff page's signed session names a key (id and public prefix, never the
secret); every request checks that the key still exists and is not revoked, so revoking a key
ends its sign-ins at once."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.keys import KeyHolder, authenticate, check_staff_key, holder_of
from engine.models import ApiKey


def key_prefix(secret: str) -> str:
    """The public prefix of a well-formed key (``tgk_<prefix>_…``), for a session to name."""
    return secret.split("_", 2)[1]


def sign_in(session: Session, secret: str) -> tuple[KeyHolder, str]:
    """The holder of ``secret`` and its prefix, or ``Forbidden`` (unknown, malformed, revoked)."""
    holder = authenticate(session, secret.strip())
    check_staff_key(holder)  # the staff pages are staff's: an Open311 app's key opens none
    return holder, key_prefix(secret.strip())


def signed_in(session: Session, key_id: int, prefix: str) -> KeyHolder:
    """The holder of the key a session names, or ``Forbidden`` when it is gone or revoked (or the
    id now names another key: a database restored from elsewhere)."""
    key = session.get(ApiKey, key_id)
    if key is None or key.prefix != prefix:
        raise Forbidden("this sign-in names no key: sign in again")
    # Revoked, or its person deactivated since they signed in: the sign-in ends with the key.
    holder = holder_of(key)
    check_staff_key(holder)
    return holder
