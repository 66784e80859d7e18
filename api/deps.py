"""Dependencies: one transaction per request, the one clock read, the caller's key.

``SessionDep`` owns the write transaction: it commits when the handler returned and rolls back
(removing photos the request stored) when anything raised. It exits before the response is sent
(``scope="function"``), so a failed commit is reported to the caller, never swallowed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.errors import NotAuthenticated
from api.storage import RequestStorage
from engine import (
    CLIENT_KEY_ONLY,
    Actor,
    Context,
    Database,
    Forbidden,
    KeyHolder,
    Role,
    Settings,
    authenticate,
    check_reporter_of,
    check_sees_code,
    check_supportable,
)


def article(word: str) -> str:
    """``word`` with "a" or "an" before it, as it is read: "an admin", "a supervisor"."""
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"


SessionFactory = Callable[[], AbstractContextManager[Session]]


@dataclass
class Transactions:
    """How the app opens sessions; tests swap in sessions bound to a rolled-back connection."""

    write: SessionFactory
    read: SessionFactory
    database: Database | None = None

    @classmethod
    def of(cls, database: Database) -> Transactions:
        return cls(database.transaction, database.reading, database)


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_now() -> datetime:
    """The API's only clock read; everything below gets ``now`` passed in."""
    return datetime.now(UTC)


def _transactions(request: Request) -> Transactions:
    transactions: Transactions = request.app.state.transactions
    return transactions


def get_session(request: Request) -> Iterator[Session]:
    transactions = _transactions(request)
    storage = RequestStorage(get_settings(request).media_dir)
    request.state.storage = storage
    try:
        with transactions.write() as session:
            yield session
    except BaseException:
        storage.discard(transactions.database)
        raise


def get_read_session(request: Request) -> Iterator[Session]:
    with _transactions(request).read() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_storage(request: Request, _session: SessionDep) -> RequestStorage:
    """The request's photo storage; shares (and so implies) the request's write transaction."""
    storage: RequestStorage = request.state.storage
    return storage


@dataclass
class Phases:
    """A handler's own transactions, for a write whose checks only read (a submission): run
    them in ``read()`` — on SQLite a deferred transaction that takes no lock — then write in
    ``write()``, which commits on leaving it and, when anything raised, rolls back and removes
    the photos the request stored. The engine re-checks in the write what the reads relied on.
    """

    transactions: Transactions
    storage: RequestStorage

    def read(self) -> AbstractContextManager[Session]:
        return self.transactions.read()

    @contextmanager
    def write(self) -> Iterator[Session]:
        try:
            with self.transactions.write() as session:
                yield session
        except BaseException:
            self.storage.discard(self.transactions.database)
            raise


async def get_phases(request: Request) -> Phases:
    return Phases(_transactions(request), RequestStorage(get_settings(request).media_dir))


ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
PhasesDep = Annotated[Phases, Depends(get_phases)]
StorageDep = Annotated[RequestStorage, Depends(get_storage, scope="function")]
NowDep = Annotated[datetime, Depends(get_now)]


async def _settings_dep(request: Request) -> Settings:
    # ``get_settings`` stays a plain function: pages call it directly.
    return get_settings(request)


SettingsDep = Annotated[Settings, Depends(_settings_dep)]

_bearer = HTTPBearer(auto_error=False, description="an api key from `tanggap keys create`")


def get_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyHolder:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated(
            "send an api key: Authorization: Bearer <key>", {"WWW-Authenticate": "Bearer"}
        )
    with _transactions(request).read() as session:
        try:
            return authenticate(session, credentials.credentials)
        except Forbidden as exc:
            raise NotAuthenticated(exc.message, {"WWW-Authenticate": "Bearer"}) from None


def get_optional_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyHolder | None:
    """The caller's key when one is sent (a bad one is a 401, as on every route, whatever the
    request asks for), else ``None``: for routes that anyone may call and a key opens more."""
    return None if credentials is None else get_key(request, credentials)


def _at_least(*roles: Role) -> Callable[[KeyHolder], KeyHolder]:
    def check(holder: Annotated[KeyHolder, Depends(get_key)]) -> KeyHolder:
        if holder.role not in roles:
            *most, last = [r.value for r in roles]
            names = f"{', '.join(most)} or {last}" if most else last
            refusal = f"this needs {article(names)} key; yours is {article(holder.role)} key"
            if holder.role is Role.CLIENT:
                refusal = f"{refusal}: {CLIENT_KEY_ONLY}"
            raise Forbidden(refusal)
        return holder

    return check


#: Any key of staff, a supervisor or an admin (never an Open311 client's).
StaffKey = Annotated[KeyHolder, Depends(_at_least(Role.STAFF, Role.SUPERVISOR, Role.ADMIN))]
#: A key when one is sent, of any role: a client key opens nothing more (``engine.keys``).
OptionalKey = Annotated[KeyHolder | None, Depends(get_optional_key)]
SupervisorKey = Annotated[KeyHolder, Depends(_at_least(Role.SUPERVISOR, Role.ADMIN))]
AdminKey = Annotated[KeyHolder, Depends(_at_least(Role.ADMIN))]
ReporterToken = Annotated[
    str,
    Header(
        alias="X-Reporter-Token",
        min_length=1,
        max_length=200,
        description="the reporter token shown once on submission",
    ),
]


def reporter_context(
    token: ReporterToken,
    session: SessionDep,
    storage: StorageDep,
    now: NowDep,
    settings: SettingsDep,
) -> Context:
    """Who acts in a reporter's request: the citizen holding the token, now, in this request's
    transaction (the engine checks the token against the ticket; ``ReporterOf`` before the
    body)."""
    return Context(session, Actor.citizen(token), now, settings, storage)


# The checks of the ticket in the path that come before the body. Each runs in a read
# transaction of its own, closed before the body is read: a body read by a dependency is
# awaited, and a write transaction opened before it would hold SQLite's write lock meanwhile,
# with the handler threads the other writers wait in (the engine checks all this again in the
# write, where it acts).


def reporter_of(code: str, token: ReporterToken, request: Request) -> str:
    """The reporter token of ticket ``code``, checked before the body is read: a wrong token
    or an unknown code is answered (403/404), not the body's faults."""
    with _transactions(request).read() as session:
        check_reporter_of(session, code, token=token)
    return token


def key_in_reach(code: str, key: StaffKey, request: Request) -> KeyHolder:
    """A staff key that sees ticket ``code`` (its agency and area, ``check_sees_code``),
    checked before the body is read: a key that may not act there hears 403 (or 404, as for no
    ticket), not what its body lacks."""
    with _transactions(request).read() as session:
        check_sees_code(session, key, code)
    return key


def supportable(code: str, request: Request) -> None:
    """A "me too"'s ticket, checked before its body is read: an unknown code, or a report the
    public may not see, is a 404 whatever the body."""
    with _transactions(request).read() as session:
        check_supportable(session, code)


#: The reporter's context for ``engine.actions.execute`` (comment, dispute, rate).
ReporterContext = Annotated[Context, Depends(reporter_context, scope="function")]
#: The reporter token of the route's ticket, checked before the body.
ReporterOf = Annotated[str, Depends(reporter_of)]
#: A staff key that sees the route's ticket (transitions).
KeyInReach = Annotated[KeyHolder, Depends(key_in_reach)]
