"""Citizen API: submit, track, follow, support, dispute and appeal reports (no account needed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from api.deps import (
    NowDep,
    Phases,
    PhasesDep,
    ReadSessionDep,
    ReporterContext,
    ReporterOf,
    ReporterToken,
    SessionDep,
    SettingsDep,
    supportable,
)
from api.errors import REPORT_FIELDS, invalid, request_fields
from api.query import GIVEN, INSTANT, STATES, WHOLE
from api.ratelimit import (
    SubmissionLimiter,
    limit_follow_ups,
    limit_submissions,
    limit_supports,
)
from api.routes.media import own_photo_url
from api.schemas.public import (
    AppealCreate,
    CommentCreate,
    DisputeCreate,
    FeatureCollection,
    PhotoAddress,
    RatingCreate,
    ReportCreate,
    ReportCreated,
    ReporterRead,
    ReportPage,
    ReportRead,
    SubscriptionCreate,
    SupportCreate,
    SupportRead,
    feature,
    public_photo_url,
)
from api.strict_json import StrictRoute
from api.uploads import (
    check_photo,
    photos_json_limit,
    photos_only_as_files,
    read_body,
    read_report,
    sent_as_json,
    with_photos,
)
from engine import (
    Actor,
    Conflict,
    Context,
    InvalidTransition,
    PublicFilter,
    Report,
    ReporterView,
    RuleViolated,
    Settings,
    State,
    Submitted,
    Trigger,
    check_location,
    check_submission,
    execute,
    get_public,
    list_public,
    present,
    reporter_choices,
    reporter_view,
    subscribe,
    support,
    unsubscribe,
    write_submission,
)
from engine.actions import Comment, Rate, Reinstate, Reopen
from engine.instants import given_instant
from engine.queries.public import is_published
from engine.text import as_number_text

router = APIRouter(prefix="/api/v1", tags=["citizens"], route_class=StrictRoute)

#: Engine field → request field, per endpoint whose names differ from the engine's.
DISPUTE_FIELDS = {"note": "reason"}
APPEAL_FIELDS = {"note": "reason"}
COMMENT_FIELDS = {"note": "text"}
RATING_FIELDS: dict[str, str] = {}

#: A citizen's actions in their own words: the engine's triggers are staff vocabulary (a
#: citizen disputes a fix: the ticket is reopened; appeals a rejection: it is reinstated).
CITIZEN_ACTIONS = {
    Trigger.REOPEN: "dispute",
    Trigger.REINSTATE: "appeal",
    Trigger.COMMENT: "comment",
    Trigger.RATE: "rate",
}
#: Why an action of theirs is not possible now, and when it is.
NOT_NOW = {
    Trigger.REOPEN: "this report cannot be disputed now: it is {state} (a dispute is possible "
    "within {days} days after it is resolved)",
    Trigger.REINSTATE: "this report cannot be appealed now: it is {state} (an appeal is "
    "possible within {days} days after it is rejected)",
    Trigger.COMMENT: "this report takes no more comments: it is {state}",
    Trigger.RATE: "this report cannot be rated now: it is {state} (a rating is possible once "
    "it is resolved)",
}

#: A citizen's action that needs a reason, said as the citizen does.
NEEDS_REASON = {
    Trigger.REOPEN: "a dispute needs a reason",
    Trigger.REINSTATE: "an appeal needs a reason",
}


@contextmanager
def citizen_words(trigger: Trigger, fields: Mapping[str, str], reporter: Context) -> Iterator[None]:
    """Around a citizen's action: refusals say it as the citizen does ("a dispute needs a
    reason", never "reopen needs a reason"), fields named as the request names them, and a
    conflict's ``allowed`` lists the citizen's actions."""
    try:
        with request_fields(fields):
            yield
    except Conflict as exc:
        if isinstance(exc, InvalidTransition) and exc.state is not None:
            state = present(exc.state).label_en.lower()
            days = reporter.settings.dispute_window.days
            exc.message = NOT_NOW[trigger].format(state=state, days=days)
            exc.args = (exc.message,)
        if exc.allowed is not None:
            exc.allowed = sorted(
                CITIZEN_ACTIONS[Trigger(a)] for a in exc.allowed if Trigger(a) in CITIZEN_ACTIONS
            )
        raise
    except RuleViolated as exc:
        if exc.code == "reason_required" and trigger in NEEDS_REASON:
            exc.message = NEEDS_REASON[trigger]
            exc.args = (exc.message,)
        if exc.params.get("action") == trigger.value:
            exc.params["action"] = CITIZEN_ACTIONS[trigger]
        raise


async def _report_input(
    request: Request, settings: SettingsDep
) -> tuple[ReportCreate, list[bytes]]:
    return await read_report(request, settings)


def to_report(body: ReportCreate, photos: list[bytes], *, source: str | None) -> Report:
    return Report(
        category=body.category,
        description=body.description,
        lat=body.lat,
        lon=body.lon,
        address=body.address,
        reporter_name=body.name,
        reporter_email=str(body.email) if body.email else None,
        reporter_phone=body.phone,
        photos=tuple(photos),
        source=source,
        language=body.language,
        answers=body.answers,
        answers_typed=body.answers_typed,
    )


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportCreated,
    openapi_extra=with_photos(ReportCreate),
    dependencies=[Depends(limit_submissions)],
    responses={413: {"description": "a photo is too large"}, 415: {"description": "not an image"}},
)
def create_report(
    request: Request,
    parsed: Annotated[tuple[ReportCreate, list[bytes]], Depends(_report_input)],
    phases: PhasesDep,
    now: NowDep,
    settings: SettingsDep,
) -> ReportCreated:
    """Report a problem: JSON, or multipart/form-data with up to 5 photos (`photos`)."""
    body, photos = parsed
    as_json = sent_as_json(request)
    return ReportCreated.of(
        file_report(body, photos, phases=phases, now=now, settings=settings, as_json=as_json)
    )


def file_report(
    body: ReportCreate,
    photos: list[bytes],
    *,
    phases: Phases,
    now: datetime,
    settings: Settings,
    as_json: bool = False,
) -> Submitted:
    """A citizen's report through the engine's rules, as the API and the report page (without
    its script) send it; refusals name the request's fields (``REPORT_FIELDS``), and on the
    JSON door (``as_json``) a needed photo says to send multipart (``photos_only_as_files``)."""
    actor = Actor.citizen()
    # Every rule and read first, outside the write transaction: on SQLite the write lock is
    # then held for the INSERTs only.
    with request_fields(REPORT_FIELDS), photos_only_as_files(as_json):
        with phases.read() as session:
            checked = check_submission(
                session,
                to_report(body, photos, source=body.channel),
                private=body.private,
                actor=actor,
                now=now,
                settings=settings,
            )
        with phases.write() as session:
            return write_submission(
                session, checked, actor=actor, now=now, settings=settings, storage=phases.storage
            )


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(as_number_text(p.strip())) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4:
        raise invalid("query", "bbox", "bbox is min_lon,min_lat,max_lon,max_lat")
    # Each corner is a point: the engine's one rule for points (NaN, ±inf, off the globe).
    for lat, lon, corner in ((parts[1], parts[0], "min"), (parts[3], parts[2], "max")):
        names = {"lat_name": f"bbox {corner}_lat", "lon_name": f"bbox {corner}_lon"}
        check_location(lat, lon, **names, field="bbox")
    if parts[0] > parts[2] or parts[1] > parts[3]:
        raise invalid("query", "bbox", "bbox is min_lon,min_lat,max_lon,max_lat (min first)")
    return parts[0], parts[1], parts[2], parts[3]


class FeedQuery:
    """The public list's filters, shared by the JSON list and the GeoJSON feed."""

    def __init__(
        self,
        bbox: Annotated[
            str | None,
            Query(
                description="min_lon,min_lat,max_lon,max_lat", examples=["106.8,-6.2,106.9,-6.1"]
            ),
        ] = None,
        state: Annotated[list[State] | None, STATES, Query()] = None,
        category: Annotated[list[str] | None, GIVEN, Query(max_length=60)] = None,
        since: Annotated[datetime | None, INSTANT, Query(description="changed at or after")] = None,
        limit: Annotated[int, WHOLE, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> None:
        since = given_instant("since", since)
        self.filter = PublicFilter(
            bbox=_bbox(bbox),
            states=tuple(s.value for s in state or ()),
            categories=tuple(category or ()),
            updated_after=since,
        )
        self.limit, self.cursor = limit, cursor


@router.get("/reports", response_model=ReportPage)
def list_reports(
    query: Annotated[FeedQuery, Depends()], session: ReadSessionDep, now: NowDep
) -> ReportPage:
    """Public list, newest change first; keyset-paged with `cursor`."""
    page = list_public(session, query.filter, now=now, limit=query.limit, cursor=query.cursor)
    return ReportPage(items=[ReportRead.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.get(
    "/reports.geojson",
    response_model=FeatureCollection,
    responses={200: {"content": {"application/geo+json": {}}}},
)
def map_feed(
    query: Annotated[FeedQuery, Depends()], session: ReadSessionDep, now: NowDep
) -> Response:
    """The same list as a GeoJSON FeatureCollection, for maps."""
    page = list_public(session, query.filter, now=now, limit=query.limit, cursor=query.cursor)
    body = FeatureCollection(
        features=[feature(ReportRead.of(t)) for t in page.items], next_cursor=page.next_cursor
    )
    return Response(body.model_dump_json(), media_type="application/geo+json")


@router.get("/reports/{code}", response_model=ReportRead)
def read_report_public(code: str, session: ReadSessionDep, now: NowDep) -> ReportRead:
    """A report as anyone may see it: state, public timeline, photos, SLA expectation."""
    return ReportRead.of(get_public(session, code, now=now))


def _reporter_photos(settings: Settings, public: bool) -> PhotoAddress:
    """Where the reporter fetches their report's photos: the public address, or for a report
    the public may not see (whose photos that address does not open) one signed for them."""
    return public_photo_url if public else partial(own_photo_url, settings)


def _for_reporter(
    session: Session, view: ReporterView, settings: Settings, now: datetime
) -> ReporterRead:
    """The reporter's own view as the reporter reads it (``_reporter_photos``), with what they
    may do now (``reporter_choices``) in their own words (``CITIZEN_ACTIONS``)."""
    choices = reporter_choices(session, view.report.code, now=now, settings=settings)
    return ReporterRead.of(
        view,
        _reporter_photos(settings, view.public),
        allowed=[CITIZEN_ACTIONS[t] for t in choices.actions if t in CITIZEN_ACTIONS],
        appeal_until=choices.appeal_until,
    )


@router.get("/reports/{code}/private", response_model=ReporterRead)
def read_report_private(
    code: str, token: ReporterToken, session: ReadSessionDep, now: NowDep, settings: SettingsDep
) -> ReporterRead:
    """The reporter's own view, with the reporter token, and what they may do with it now
    (`allowed`: comment, dispute, rate, appeal). The photos of a report the public may not see
    are at addresses signed for the reporter, open for an hour (ask again for new ones)."""
    view = reporter_view(session, code, token=token, now=now)
    return _for_reporter(session, view, settings, now)


def _as_reporter_reads(reporter: Context, code: str) -> ReportRead:
    """The report after the reporter's action, as they read it: the token was checked
    (``execute``), so even a report the public may not see (its photos signed for them)."""
    session = reporter.session
    view = get_public(session, code, now=reporter.now, include_unpublished=True)
    public = is_published(session, view.code)
    return ReportRead.of(view, _reporter_photos(reporter.settings, public))


#: The reporter's follow-ups: each is forwarded to the agency by mail, so each uses the
#: report's and the client's allowance of follow-ups (``api.ratelimit``).
FOLLOW_UP_LIMIT = [Depends(limit_follow_ups)]
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"description": "too many follow-ups on this report or from this address"}
}


@router.post(
    "/reports/{code}/dispute",
    response_model=ReportRead,
    dependencies=FOLLOW_UP_LIMIT,
    responses=TOO_MANY,
)
def dispute(
    code: str, _token: ReporterOf, body: DisputeCreate, reporter: ReporterContext
) -> ReportRead:
    """The fix did not hold: reopen within the dispute window (a reason is required)."""
    command = Reopen(code=code, note=body.reason, expected_version=body.expected_version)
    with citizen_words(Trigger.REOPEN, DISPUTE_FIELDS, reporter):
        ticket = execute(reporter, command)
    return _as_reporter_reads(reporter, ticket.code)


@router.post(
    "/reports/{code}/appeal",
    response_model=ReportRead,
    dependencies=FOLLOW_UP_LIMIT,
    responses=TOO_MANY,
)
def appeal(
    code: str, _token: ReporterOf, body: AppealCreate, reporter: ReporterContext
) -> ReportRead:
    """The report should not have been rejected: within the dispute window counted from the
    rejection, the reporter appeals with a reason. The report goes back to verification (state
    submitted, its SLA clocks started again), and the agency gets the reason by mail."""
    command = Reinstate(code=code, note=body.reason, expected_version=body.expected_version)
    with citizen_words(Trigger.REINSTATE, APPEAL_FIELDS, reporter):
        ticket = execute(reporter, command)
    return _as_reporter_reads(reporter, ticket.code)


async def _comment_body(
    request: Request, settings: SettingsDep
) -> tuple[CommentCreate, list[bytes]]:
    return await read_body(request, settings, CommentCreate, json_limit=photos_json_limit(settings))


@router.post(
    "/reports/{code}/comments",
    response_model=ReportRead,
    openapi_extra=with_photos(CommentCreate),
    dependencies=FOLLOW_UP_LIMIT,
    responses=TOO_MANY,
)
def add_comment(
    code: str,
    # The token before the body: whoever may not comment here hears that, not what their body
    # lacks; the request's write transaction after it (``api.deps``: never held while a body
    # is read).
    _token: ReporterOf,
    parsed: Annotated[tuple[CommentCreate, list[bytes]], Depends(_comment_body)],
    reporter: ReporterContext,
) -> ReportRead:
    """The reporter adds a note and photos (JSON with base64, or multipart `photos` files);
    it goes to the agency working on the report."""
    body, files = parsed
    sent = [*body.photos, *files]
    settings = reporter.settings
    photos = tuple(check_photo(p, settings, f"photo {n}") for n, p in enumerate(sent, 1))
    command = Comment(
        code=code, note=body.text, photos=photos, expected_version=body.expected_version
    )
    with citizen_words(Trigger.COMMENT, COMMENT_FIELDS, reporter):
        ticket = execute(reporter, command)
    return _as_reporter_reads(reporter, ticket.code)


@router.post(
    "/reports/{code}/rating",
    response_model=ReporterRead,
    dependencies=FOLLOW_UP_LIMIT,
    responses=TOO_MANY,
)
def rate_resolution(
    code: str, _token: ReporterOf, body: RatingCreate, reporter: ReporterContext
) -> ReporterRead:
    """The reporter rates the resolution 1–5 (a later rating replaces the earlier one)."""
    command = Rate(
        code=code, rating=body.rating, note=body.note, expected_version=body.expected_version
    )
    with citizen_words(Trigger.RATE, RATING_FIELDS, reporter):
        ticket = execute(reporter, command)
    token = reporter.actor.reporter_token or ""  # the header is required: never empty here
    view = reporter_view(reporter.session, ticket.code, token=token, now=reporter.now)
    return _for_reporter(reporter.session, view, reporter.settings, reporter.now)


@router.post(
    "/reports/{code}/supporters",
    response_model=SupportRead,
    dependencies=[Depends(limit_supports), Depends(supportable)],
)
def me_too(
    code: str,
    request: Request,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
    body: Annotated[SupportCreate | None, Body()] = None,
) -> SupportRead:
    """ "Me too": count one more supporter, and follow the report by e-mail if one is given.
    The body is optional: no body counts the supporter only.

    A follow by e-mail must be confirmed: the address gets one mail with a confirmation link
    (at most one a day, however often it is given) and nothing else until its owner confirms.

    `supporters` counts people, as well as they can be told apart: an e-mail address counts
    once, ever (the reporter's own address too, once, like any other: the answer never tells
    who reported); without one, a client counts once per report a day (by its network
    address, so several people behind one address count once: the figure errs low, never
    high). A "me too" without an address and then one with an address from the same client
    the same day count once: the address takes the anonymous one over. A repeat answers 200
    with `counted` false, the figure unchanged, and still subscribes a new address.
    A refused "me too" (a bad address, an unknown code, a closed report) counts nothing and
    leaves the client's "me too" for later."""
    body = body or SupportCreate()
    email = str(body.email) if body.email else None
    limiter: SubmissionLimiter = request.app.state.limiter
    # asked by the engine once the "me too" has passed every rule (limit_supports forgets
    # it if the request fails after all)
    supported = support(
        session,
        code,
        email=email,
        language=body.language,
        now=now,
        client=limiter.supports(request),
        settings=settings,
    )
    return SupportRead.of_support(supported)


@router.post("/reports/{code}/subscriptions", response_model=ReporterRead)
def follow(
    code: str,
    token: ReporterOf,
    body: SubscriptionCreate,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> ReporterRead:
    """The reporter adds an e-mail address to be told about changes, once its owner confirms
    from the confirmation mail it gets (counted in `pending` until then). An address that
    already follows is left as it is."""
    view = subscribe(
        session,
        code,
        token=token,
        email=str(body.email),
        language=body.language,
        now=now,
        settings=settings,
    )
    return _for_reporter(session, view, settings, now)


@router.delete("/reports/{code}/subscriptions/{email}", response_model=ReporterRead)
def unfollow(
    code: str,
    email: str,
    token: ReporterOf,
    session: SessionDep,
    now: NowDep,
    settings: SettingsDep,
) -> ReporterRead:
    view = unsubscribe(session, code, token=token, email=email, now=now)
    return _for_reporter(session, view, settings, now)
