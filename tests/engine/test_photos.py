"""Photos: checked by content, size-limited, stripped of location metadata, stored by key."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from engine.errors import RuleViolated
from engine.models import Attachment, Ticket
from engine.photos import clean_photo

LIMIT = 1_000_000
MAKER = b"PhoneMaker"


def image_bytes(
    fmt: str = "JPEG",
    size: tuple[int, int] = (64, 48),
    *,
    exif: bool = True,
    orientation: int | None = None,
    **save: object,
) -> bytes:
    """A small photo as a phone would send it: maker and GPS position in its EXIF block."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((0, 0, 255), (0, 0, 16, 16))  # a blue corner, to see which way it stands
    out = io.BytesIO()
    if exif:
        info = Image.Exif()
        info[0x010F] = MAKER.decode()  # Make
        info[0x8825] = {2: (6.0, 10.0, 30.0), 4: (106.0, 49.0, 0.0)}  # GPSInfo: lat, lon
        if orientation is not None:
            info[0x0112] = orientation
        save["exif"] = info
    image.save(out, format=fmt, **save)
    return out.getvalue()


def attachments(session, ticket: Ticket) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)))


def ticket_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Ticket)) or 0


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")],
)
def test_clean_photo_accepted_format_exif_and_gps_stripped(fmt: str, content_type: str) -> None:
    raw = image_bytes(fmt)
    assert MAKER in raw and Image.open(io.BytesIO(raw)).getexif()  # the input does carry them

    photo = clean_photo(raw, max_bytes=LIMIT)

    assert photo.content_type == content_type
    assert (photo.width, photo.height) == (64, 48)
    cleaned = Image.open(io.BytesIO(photo.data))
    assert cleaned.format == fmt
    assert dict(cleaned.getexif()) == {}
    assert "exif" not in cleaned.info
    assert MAKER not in photo.data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_clean_photo_orientation_6_applied_and_dropped(fmt: str) -> None:
    photo = clean_photo(image_bytes(fmt, orientation=6), max_bytes=LIMIT)

    cleaned = Image.open(io.BytesIO(photo.data))
    assert (photo.width, photo.height) == cleaned.size == (48, 64)
    assert 0x0112 not in cleaned.getexif()
    # Orientation 6 means "rotate 90° clockwise to view": the top-left corner goes top-right.
    rgb = cleaned.convert("RGB")
    top_left, top_right = rgb.getpixel((8, 8)), rgb.getpixel((40, 8))
    assert top_right[2] > 200 > top_right[0]
    assert top_left[0] > 150 > top_left[2]


def test_clean_photo_camera_jpeg_with_preview_image_accepted() -> None:
    # Cameras and phones append a preview / gain-map picture (CIPA Multi-Picture Format) to
    # ordinary .jpg files; Pillow names these "MPO". They are JPEGs a citizen will upload.
    first = Image.new("RGB", (64, 48), (200, 30, 30))
    preview = Image.new("RGB", (32, 24), (200, 30, 30))
    out = io.BytesIO()
    first.save(out, format="MPO", save_all=True, append_images=[preview])

    photo = clean_photo(out.getvalue(), max_bytes=LIMIT)

    assert photo.content_type == "image/jpeg"
    assert (photo.width, photo.height) == (64, 48)


def _truncated_jpeg() -> bytes:
    raw = image_bytes("JPEG", (400, 300), exif=False)
    return raw[: len(raw) // 2]


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param(
            b"Laporan: jalan rusak di depan rumah\n" * 20, "not a readable image", id="text"
        ),
        pytest.param(b"", "not a readable image", id="empty"),
        pytest.param(_truncated_jpeg(), "not a readable image", id="truncated-jpeg"),
        pytest.param(_gif(), "GIF is not accepted", id="gif"),
    ],
)
def test_clean_photo_not_an_accepted_image_rejected(raw: bytes, message: str) -> None:
    with pytest.raises(RuleViolated, match=message):
        clean_photo(raw, max_bytes=LIMIT)


def test_clean_photo_over_size_limit_rejected() -> None:
    raw = image_bytes("PNG", exif=False)

    assert clean_photo(raw, max_bytes=len(raw)).content_type == "image/png"
    with pytest.raises(RuleViolated, match=f"limit is {len(raw) - 1}"):
        clean_photo(raw, max_bytes=len(raw) - 1)


def test_clean_photo_too_many_pixels_rejected() -> None:
    # 7000 × 7000 one-bit pixels: a few kilobytes of PNG that would decode to 49 megapixels.
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, format="PNG")

    with pytest.raises(RuleViolated, match="too many pixels"):
        clean_photo(out.getvalue(), max_bytes=LIMIT)


# --- photos on submit and resolve ------------------------------------------------------------


@pytest.mark.parametrize("category", ["broken_road", "illegal_building"])
def test_submit_photo_required_missing_rejected_no_ticket(desk, category: str) -> None:
    before = ticket_count(desk.session)

    with pytest.raises(RuleViolated, match="needs at least one photo"):
        desk.submit(category=category)

    assert ticket_count(desk.session) == before


@pytest.mark.parametrize("category", ["broken_road", "illegal_building"])
def test_submit_photo_required_given_stored_clean_as_report(desk, category: str) -> None:
    raw = image_bytes("JPEG")

    ticket = desk.submit(category=category, photos=(raw,))

    [attachment] = attachments(desk.session, ticket)
    assert (attachment.purpose, attachment.event_seq) == ("report", 1)
    assert attachment.content_type == "image/jpeg"
    stored = desk.storage.get(attachment.storage_key)
    assert len(stored) == attachment.size
    assert MAKER not in stored
    assert dict(Image.open(io.BytesIO(stored)).getexif()) == {}


def test_submit_unreadable_photo_rejected_no_ticket(desk) -> None:
    before = ticket_count(desk.session)

    with pytest.raises(RuleViolated, match="not a readable image"):
        desk.submit(photos=(b"this is not a photo",))

    assert ticket_count(desk.session) == before
    assert desk.storage.files == {}


def test_resolve_proof_required_missing_rejected_state_unchanged(desk, photo: bytes) -> None:
    ticket = desk.ticket_in("in_progress", category="broken_road", photos=(photo,))
    version = ticket.version

    with pytest.raises(RuleViolated, match="needs a proof photo"):
        desk.act(ticket, "resolve", "dbm")

    desk.session.refresh(ticket)
    assert (ticket.state, ticket.version, ticket.resolved_at) == ("in_progress", version, None)
    assert [a.purpose for a in attachments(desk.session, ticket)] == ["report"]


def test_resolve_proof_given_stored_as_proof(desk, photo: bytes) -> None:
    ticket = desk.ticket_in("in_progress", category="broken_road", photos=(photo,))
    proof = image_bytes("PNG", (80, 60))

    desk.act(ticket, "resolve", "dbm", photos=(proof,))

    assert ticket.state == "resolved"
    found = {a.purpose: a for a in attachments(desk.session, ticket)}
    assert set(found) == {"report", "proof"}
    assert found["proof"].event_seq == ticket.version
    assert (found["proof"].width, found["proof"].height) == (80, 60)
    assert MAKER not in desk.storage.get(found["proof"].storage_key)


def test_resolve_category_without_proof_rule_resolves_without_photo(desk) -> None:
    ticket = desk.ticket_in("in_progress")  # traffic_jam asks for no proof

    desk.act(ticket, "resolve")

    assert ticket.state == "resolved"
    assert attachments(desk.session, ticket) == []
