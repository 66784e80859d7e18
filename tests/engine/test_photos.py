"""Photos: checked by content, size-limited, stripped of location metadata, stored by key."""

from __future__ import annotations

import io
import random
import struct

import pytest
from PIL import Image, ImageCms
from sqlalchemy import func, select

from engine.errors import RuleViolated
from engine.models import Attachment, Ticket
from engine.photos import byte_size, clean_photo, too_large
from tests.conftest import png_claiming

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
    with pytest.raises(RuleViolated) as refused:
        clean_photo(raw, max_bytes=len(raw) - 1)
    assert refused.value.message == (
        f"photo is {len(raw):,} bytes, larger than the limit of {len(raw) - 1:,} bytes"
    )
    assert refused.value.code == "photo_too_large"


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (65_536, "64 KB (65,536 bytes)"),
        (100_000, "97.7 KB (100,000 bytes)"),
        (1024 * 1024, "1 MB (1,048,576 bytes)"),
        (8 * 1024 * 1024, "8 MB (8,388,608 bytes)"),
        (1_500_000, "1.4 MB (1,500,000 bytes)"),
        (512, "512 bytes"),
        (1024 * 1024 - 6, "1.0 MB (1,048,570 bytes)"),
    ],
)
def test_byte_size_reads_in_kb_under_a_megabyte(count: int, words: str) -> None:
    assert byte_size(count) == words
    assert too_large("photo", limit=count) == f"photo is larger than the limit of {words}"


def test_clean_photo_too_many_pixels_rejected() -> None:
    # 7000 × 7000 one-bit pixels: a few kilobytes of PNG that would decode to 49 megapixels.
    out = io.BytesIO()
    Image.new("1", (7000, 7000)).save(out, format="PNG")

    with pytest.raises(RuleViolated, match="too many pixels"):
        clean_photo(out.getvalue(), max_bytes=LIMIT)


@pytest.mark.parametrize(
    ("width", "height"),
    [(9_000, 9_000), (12_000, 12_000), (14_000, 14_000), (20_000, 20_000), (65_535, 65_535)],
)
def test_clean_photo_too_many_pixels_whatever_the_size(width: int, height: int) -> None:
    # 81, 144, 196, 400 and 4,295 megapixels: past Pillow's own bomb limits (89 MP warns,
    # 179 MP refuses) the answer is the same as just past ours, and nothing is decoded.
    with pytest.raises(RuleViolated) as refused:
        clean_photo(png_claiming(width, height), max_bytes=LIMIT)

    assert str(refused.value) == "photo has too many pixels; the limit is 40 megapixels"
    assert refused.value.code == "photo_too_many_pixels"
    assert refused.value.params == {"field": "photos", "megapixels": 40, "max_pixels": 40_000_000}


def test_clean_photo_jpeg_claiming_400_megapixels_is_too_many_pixels() -> None:
    out = io.BytesIO()
    Image.new("RGB", (16, 16)).save(out, format="JPEG")
    raw = bytearray(out.getvalue())
    frame = raw.find(b"\xff\xc0")  # baseline frame header: length, precision, height, width
    raw[frame + 5 : frame + 9] = struct.pack(">HH", 20_000, 20_000)

    with pytest.raises(RuleViolated) as refused:
        clean_photo(bytes(raw), max_bytes=LIMIT)

    assert (str(refused.value), refused.value.code) == (
        "photo has too many pixels; the limit is 40 megapixels",
        "photo_too_many_pixels",
    )


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


# --- malformed metadata never crashes the cleaner (issue 6 §6) -------------------------------

SECRET = b"SECRET-GPS-6.1754"


def _tiff(entries: list[tuple[int, int, int, bytes]], order: str = "<") -> bytes:
    """A TIFF-structured EXIF block from raw (tag, type, count, value-or-data) entries."""
    head = (b"II" if order == "<" else b"MM") + struct.pack(order + "HI", 42, 8)
    data_at = 8 + 2 + 12 * len(entries) + 4
    table, tail = b"", b""
    for tag, kind, count, value in entries:
        if len(value) <= 4:
            table += struct.pack(order + "HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            table += struct.pack(order + "HHII", tag, kind, count, data_at + len(tail))
            tail += value + b"\0" * (len(value) & 1)
    return head + struct.pack(order + "H", len(entries)) + table + b"\0\0\0\0" + tail


def _with_jpeg_segments(jpeg: bytes, *segments: tuple[int, bytes]) -> bytes:
    """``jpeg`` with marker segments inserted right after SOI, as cameras write them."""
    inserted = b"".join(
        b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
        for marker, body in segments
    )
    return jpeg[:2] + inserted + jpeg[2:]


def _quadrant_jpeg(size: tuple[int, int]) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((0, 0, 255), (0, 0, size[0] // 2, size[1] // 2))  # blue top-left quarter
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def jpeg_markers(data: bytes) -> list[int]:
    markers, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        markers.append(data[pos + 1])
        if data[pos + 1] == 0xDA:
            break
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kinds.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return kinds


def webp_chunks(data: bytes) -> list[bytes]:
    kinds, pos = [], 12
    while pos + 8 <= len(data):
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        kinds.append(data[pos : pos + 4])
        pos += 8 + length + (length & 1)
    return kinds


#: What a cleaned file may contain, per format: pixel data and its structure, nothing else.
JPEG_ALLOWED = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDA, 0xDD}  # JFIF, DQT, SOF0/2, DHT, SOS, DRI
PNG_ALLOWED = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}
WEBP_ALLOWED = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


def assert_no_metadata(photo_data: bytes, content_type: str) -> None:
    """Read the stored bytes themselves: no block beyond the pixels, no secret anywhere."""
    if content_type == "image/jpeg":
        assert set(jpeg_markers(photo_data)) <= JPEG_ALLOWED, jpeg_markers(photo_data)
        assert b"\xff\xfe" not in photo_data.split(b"\xff\xda")[0]  # no COM before the scan
    elif content_type == "image/png":
        assert set(png_chunks(photo_data)) <= PNG_ALLOWED, png_chunks(photo_data)
    else:
        assert set(webp_chunks(photo_data)) <= WEBP_ALLOWED, webp_chunks(photo_data)
        if b"VP8X" in webp_chunks(photo_data):
            assert photo_data[20] & 0x2C == 0  # no ICC, EXIF or XMP flag
    for needle in (SECRET, MAKER, b"Exif", b"http://ns.adobe.com", b"ICC_PROFILE", b"8BIM"):
        assert needle not in photo_data, needle


def test_clean_photo_text_in_numeric_exif_tag_orientation_6_cleaned_upright() -> None:
    # Issue 6 §6: Orientation 6 and XResolution (a RATIONAL) holding text. Viewers open it;
    # Pillow's own EXIF reader raised on it.
    exif = _tiff(
        [
            (0x0112, 3, 1, struct.pack("<H", 6)),  # Orientation: rotate 90° clockwise
            (0x011A, 5, 1, b"72 dpi, not a number"),  # XResolution, RATIONAL, holding text
        ]
    )
    raw = _with_jpeg_segments(_quadrant_jpeg((32, 24)), (0xE1, b"Exif\0\0" + exif))

    photo = clean_photo(raw, max_bytes=LIMIT)

    assert (photo.content_type, photo.width, photo.height) == ("image/jpeg", 24, 32)
    cleaned = Image.open(io.BytesIO(photo.data))
    assert (cleaned.format, cleaned.size) == ("JPEG", (24, 32))
    rgb = cleaned.convert("RGB")
    # Rotated 90° clockwise, the blue top-left quarter now stands at the top right.
    assert rgb.getpixel((20, 4))[2] > 200 and rgb.getpixel((4, 4))[0] > 150
    assert rgb.getpixel((4, 4))[2] < 100
    assert_no_metadata(photo.data, photo.content_type)


@pytest.mark.parametrize("order", ["<", ">"])
@pytest.mark.parametrize(
    ("entry", "expected_size"),
    [
        pytest.param((0x0112, 3, 1, b"\x08\x00"), (24, 32), id="orientation-8"),
        pytest.param((0x0112, 2, 4, b"six\0"), (32, 24), id="orientation-as-text"),
        pytest.param((0x0112, 3, 1, b"\x63\x00"), (32, 24), id="orientation-99"),
        pytest.param((0x0112, 3, 4000, b"\x06\x00"), (32, 24), id="count-past-the-end"),
        pytest.param((0x8825, 4, 1, b"\xff\xff\xff\x7f"), (32, 24), id="gps-ifd-out-of-file"),
    ],
)
def test_clean_photo_malformed_exif_entries_cleaned(order: str, entry, expected_size) -> None:
    tag, kind, count, value = entry
    if order == ">":
        value = value[:2][::-1] + value[2:] if kind == 3 else value
    exif = _tiff([(tag, kind, count, value)], order=order)
    raw = _with_jpeg_segments(_quadrant_jpeg((32, 24)), (0xE1, b"Exif\0\0" + exif))

    photo = clean_photo(raw, max_bytes=LIMIT)

    assert (photo.width, photo.height) == expected_size
    assert_no_metadata(photo.data, photo.content_type)


def _icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _xmp() -> bytes:
    return (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'exif:GPSLatitude="' + SECRET + b'"/></rdf:RDF></x:xmpmeta>'
    )


def _exif_block() -> Image.Exif:
    info = Image.Exif()
    info[0x010F] = MAKER.decode()
    info[0x010E] = SECRET.decode()  # ImageDescription
    info[0x8825] = {2: (6.0, 10.0, 30.0), 4: (106.0, 49.0, 0.0)}
    return info


def phone_jpeg() -> bytes:
    """Everything a phone or an editor writes into a JPEG: EXIF with GPS, XMP, IPTC, an ICC
    profile, a comment, and a preview image (MPF)."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    image.save(
        out, format="JPEG", exif=_exif_block(), icc_profile=_icc(), comment=SECRET, xmp=_xmp()
    )
    iptc = b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + struct.pack(">I", 24) + b"\x1c\x02\x78"
    iptc += struct.pack(">H", len(SECRET)) + SECRET + b"\0" * 4
    return _with_jpeg_segments(out.getvalue(), (0xED, iptc))


def phone_png() -> bytes:
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    meta.add_text("Author", SECRET.decode())
    meta.add_text("Comment", SECRET.decode(), zip=True)
    meta.add_itxt("XML:com.adobe.xmp", _xmp().decode())
    image = Image.new("RGBA", (64, 48), (200, 30, 30, 255))
    out = io.BytesIO()
    image.save(
        out, format="PNG", pnginfo=meta, exif=_exif_block(), icc_profile=_icc(), dpi=(72, 72)
    )
    return out.getvalue()


def phone_webp() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    out = io.BytesIO()
    image.save(out, format="WEBP", exif=_exif_block(), icc_profile=_icc(), xmp=_xmp())
    return out.getvalue()


PHONE_FILES = {"JPEG": phone_jpeg, "PNG": phone_png, "WEBP": phone_webp}


@pytest.mark.parametrize("fmt", sorted(PHONE_FILES))
def test_clean_photo_every_kind_of_metadata_gone_from_stored_bytes(fmt: str, desk) -> None:
    raw = PHONE_FILES[fmt]()
    assert SECRET in raw and MAKER in raw  # the input carries them all

    ticket = desk.submit(category="broken_road", photos=(raw,))

    [attachment] = attachments(desk.session, ticket)
    stored = desk.storage.get(attachment.storage_key)
    assert_no_metadata(stored, attachment.content_type)
    reopened = Image.open(io.BytesIO(stored))
    assert reopened.format == fmt and reopened.size == (64, 48)
    assert "icc_profile" not in reopened.info and not reopened.getexif()
    assert reopened.convert("RGB").getpixel((10, 10))[0] > 150  # still red after sRGB


def metadata_blocks(data: bytes, fmt: str) -> list[tuple[int, int]]:
    """Where the content of each metadata block of ``data`` lies (after its length field)."""
    spans = []
    if fmt == "JPEG":
        pos = 2
        while data[pos + 1] != 0xDA:
            end = pos + 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
            if data[pos + 1] >= 0xE1 and data[pos + 1] != 0xEE:
                spans.append((pos + 4, end))
            pos = end
    elif fmt == "PNG":
        pos = 8
        while pos < len(data):
            (length,) = struct.unpack(">I", data[pos : pos + 4])
            if data[pos + 4 : pos + 8] not in PNG_ALLOWED:
                spans.append((pos + 8, pos + 8 + length))
            pos += 12 + length
    else:
        pos = 12
        while pos < len(data):
            (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
            if data[pos : pos + 4] not in WEBP_ALLOWED:
                spans.append((pos + 8, pos + 8 + length))
            pos += 8 + length + (length & 1)
    assert spans
    return spans


def _overwrite(raw: bytes, rng: random.Random, spans: list[tuple[int, int]]) -> bytes:
    """``raw`` with random bytes overwritten inside its metadata blocks' content."""
    data = bytearray(raw)
    for _ in range(rng.randint(1, 16)):
        start, end = rng.choice(spans)
        data[rng.randrange(start, end)] = rng.randrange(256)
    return bytes(data)


def _mangle(raw: bytes, rng: random.Random, spans: list[tuple[int, int]]) -> bytes:
    """``raw`` with bytes overwritten, inserted or removed in and around its metadata blocks,
    length fields included."""
    data = bytearray(raw)
    for _ in range(rng.randint(1, 8)):
        start, end = rng.choice(spans)
        at = rng.randrange(max(2, start - 8), min(len(data), end))
        action = rng.random()
        if action < 0.5:
            data[at] = rng.randrange(256)
        elif action < 0.75:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        else:
            del data[at : at + rng.randint(1, 4)]
    return bytes(data)


@pytest.mark.parametrize("fmt", sorted(PHONE_FILES))
def test_clean_photo_fuzzed_metadata_content_still_a_clean_photo(fmt: str) -> None:
    # The metadata is never parsed by a decoder: whatever its bytes, the photo comes through.
    rng = random.Random(f"tanggap-photos-content-{fmt}")
    original = PHONE_FILES[fmt]()
    spans = metadata_blocks(original, fmt)
    for _ in range(150):
        photo = clean_photo(_overwrite(original, rng, spans), max_bytes=LIMIT)
        assert (photo.width, photo.height) == (64, 48)
        assert_no_metadata(photo.data, photo.content_type)


@pytest.mark.parametrize("fmt", sorted(PHONE_FILES))
def test_clean_photo_fuzzed_metadata_structure_clean_photo_or_rule_violated(fmt: str) -> None:
    rng = random.Random(f"tanggap-photos-structure-{fmt}")
    original = PHONE_FILES[fmt]()
    spans = metadata_blocks(original, fmt)
    outcomes = {"clean": 0, "refused": 0}
    for _ in range(300):
        try:
            photo = clean_photo(_mangle(original, rng, spans), max_bytes=LIMIT)
        except RuleViolated as exc:
            assert exc.message == "the uploaded file is not a readable image", exc.message
            outcomes["refused"] += 1
            continue
        assert_no_metadata(photo.data, photo.content_type)
        assert Image.open(io.BytesIO(photo.data)).format == fmt
        outcomes["clean"] += 1
    assert outcomes["clean"] and outcomes["refused"]  # both sides reached


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        pytest.param(b"\xff\xd8\xff\xe0 not really a jpeg", "photo_unreadable", id="jpeg-magic"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", "photo_unreadable", id="png-magic"),
        pytest.param(b"RIFF\x04\x00\x00\x00WEBP", "photo_unreadable", id="webp-header"),
        pytest.param(b"\xff\xd8\xff\xd9", "photo_unreadable", id="jpeg-no-scan"),
        pytest.param(b"plain text", "photo_unreadable", id="text"),
        pytest.param(_gif(), "photo_format", id="gif"),
    ],
)
def test_every_refused_photo_carries_its_key_and_field(raw: bytes, code: str) -> None:
    with pytest.raises(RuleViolated) as refused:
        clean_photo(raw, max_bytes=LIMIT)
    assert refused.value.code == code
    assert refused.value.params["field"] == "photos"
