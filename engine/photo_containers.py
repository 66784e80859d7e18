"""Photo files at the byte level: drop every metadata block before a decoder reads it.

Pillow parses EXIF, XMP and text chunks while it opens a file, and its parsers trust the
blocks they read (a text value in a numeric EXIF tag raised ``struct.error`` / ``TypeError``).
The blocks are the reporter's business, not ours, so we never hand them to a parser: each
container is walked with bounds checks, and only what the pixels need is kept —

- JPEG: markers up to the first scan except APP1 (EXIF, XMP), APP2 other than ICC_PROFILE
  (MPF previews), APP3–APP13, APP15 and COM; APP0 (JFIF) and APP14 (Adobe colour transform)
  stay, the scans are copied as they are.
- PNG: IHDR, PLTE, tRNS, IDAT, IEND and the colour chunks (gAMA, cHRM, sRGB, iCCP); text, eXIf,
  time, physical size and APNG chunks go (an APNG becomes its default image).
- WebP: VP8, VP8L, ALPH, ANIM, ANMF, ICCP; EXIF and XMP chunks go and VP8X's flags say so.

ICC profiles are taken out too and handed back separately, so that the cleaner can convert the
colours to sRGB and then forget them. ``orientation`` reads EXIF tag 0x0112 with its own
bounds-checked reader.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

from engine.errors import RuleViolated

NOT_READABLE = "the uploaded file is not a readable image"

_JPEG_KEEP_APP = {0xE0, 0xEE}  # APP0 JFIF, APP14 Adobe
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RST0–7: markers without a length
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"gAMA", b"cHRM", b"sRGB"}
_WEBP_KEEP = {b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"}
_VP8X_ICC, _VP8X_EXIF, _VP8X_XMP = 0x20, 0x08, 0x04
_MAX_ICC = 4 * 1024 * 1024


@dataclass(frozen=True)
class Stripped:
    """A file with its metadata blocks dropped, and the two blocks the cleaner still reads."""

    data: bytes
    exif: bytes | None = None
    icc: bytes | None = None


def _unreadable() -> RuleViolated:
    return RuleViolated(NOT_READABLE, key="photo_unreadable", params={"field": "photos"})


def sniff(raw: bytes) -> str | None:
    """The container format by its magic bytes: ``JPEG``, ``PNG``, ``WEBP`` or None."""
    if raw.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if raw.startswith(_PNG_SIGNATURE):
        return "PNG"
    if len(raw) >= 12 and raw[:4] == b"RIFF" and raw[8:12] == b"WEBP":
        return "WEBP"
    return None


def strip_metadata(raw: bytes, fmt: str) -> Stripped:
    """``raw`` without metadata blocks; the EXIF block (orientation) and ICC profile apart."""
    if fmt == "JPEG":
        return _strip_jpeg(raw)
    if fmt == "PNG":
        return _strip_png(raw)
    if fmt == "WEBP":
        return _strip_webp(raw)
    raise _unreadable()


def _strip_jpeg(raw: bytes) -> Stripped:
    out = bytearray(raw[:2])
    exif: bytes | None = None
    icc: dict[int, bytes] = {}
    pos = 2
    while True:
        # Fill bytes (0xFF repeated) may precede a marker.
        while pos < len(raw) and raw[pos] == 0xFF and pos + 1 < len(raw) and raw[pos + 1] == 0xFF:
            pos += 1
        if pos + 2 > len(raw) or raw[pos] != 0xFF:
            raise _unreadable()
        marker = raw[pos + 1]
        if marker in _STANDALONE:
            out += raw[pos : pos + 2]
            pos += 2
            continue
        if marker == 0xD9:  # EOI before any scan: no picture
            raise _unreadable()
        if pos + 4 > len(raw):
            raise _unreadable()
        (length,) = struct.unpack(">H", raw[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(raw):
            raise _unreadable()
        body = raw[pos + 4 : end]
        if marker == 0xDA:  # start of scan: the rest is image data, copied as it is
            out += raw[pos:]
            profile = b"".join(icc[n] for n in sorted(icc)) or None
            return Stripped(bytes(out), exif, profile)
        if marker == 0xE2 and body.startswith(b"ICC_PROFILE\x00") and len(body) > 14:
            icc.setdefault(body[12], body[14:])  # a profile may span segments, numbered
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00") and exif is None:
            exif = body[6:]
        if marker < 0xE0 or marker in _JPEG_KEEP_APP:
            out += raw[pos:end]
        pos = end


def _strip_png(raw: bytes) -> Stripped:
    out = bytearray(_PNG_SIGNATURE)
    exif: bytes | None = None
    icc: bytes | None = None
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(raw):
        (length,) = struct.unpack(">I", raw[pos : pos + 4])
        kind = raw[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(raw):
            raise _unreadable()
        body = raw[pos + 8 : pos + 8 + length]
        if kind == b"eXIf" and exif is None:
            exif = body[6:] if body.startswith(b"Exif\x00\x00") else body
        if kind == b"iCCP" and icc is None:
            icc = _inflate_iccp(body)
        if kind in _PNG_KEEP:
            out += raw[pos:end]
        pos = end
        if kind == b"IEND":
            return Stripped(bytes(out), exif, icc)
    raise _unreadable()


def _inflate_iccp(body: bytes) -> bytes | None:
    """The profile of a PNG iCCP chunk: name, NUL, method 0, zlib data (bounded)."""
    name_end = body.find(b"\x00", 0, 80)
    if name_end < 1 or len(body) < name_end + 2 or body[name_end + 1] != 0:
        return None
    try:
        profile = zlib.decompressobj().decompress(body[name_end + 2 :], _MAX_ICC)
    except zlib.error:
        return None
    return profile or None


def _strip_webp(raw: bytes) -> Stripped:
    chunks = bytearray()
    exif: bytes | None = None
    icc: bytes | None = None
    pos = 12
    (riff_size,) = struct.unpack("<I", raw[4:8])
    end_of_riff = min(len(raw), 8 + riff_size)
    while pos + 8 <= end_of_riff:
        kind = raw[pos : pos + 4]
        (length,) = struct.unpack("<I", raw[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)  # chunks are padded to an even size
        if pos + 8 + length > end_of_riff:
            raise _unreadable()
        body = raw[pos + 8 : pos + 8 + length]
        if kind == b"EXIF" and exif is None:
            exif = body[6:] if body.startswith(b"Exif\x00\x00") else body
        if kind == b"ICCP" and icc is None:
            icc = body or None
        if kind == b"VP8X":
            if length < 10:
                raise _unreadable()
            flags = body[0] & ~(_VP8X_ICC | _VP8X_EXIF | _VP8X_XMP)
            chunks += kind + raw[pos + 4 : pos + 8] + bytes([flags]) + body[1:]
            chunks += b"\x00" * (length & 1)
        elif kind in _WEBP_KEEP:
            chunks += raw[pos:end]
        pos = end
    if not chunks:
        raise _unreadable()
    data = b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)
    return Stripped(data, exif, icc)


def orientation(exif: bytes | None) -> int:
    """EXIF Orientation (1–8) from a TIFF-structured EXIF block; 1 when absent or unreadable."""
    if not exif or len(exif) < 8:
        return 1
    order = {b"II": "<", b"MM": ">"}.get(exif[:2])
    if order is None or struct.unpack(order + "H", exif[2:4])[0] != 42:
        return 1
    (ifd,) = struct.unpack(order + "I", exif[4:8])
    if ifd + 2 > len(exif):
        return 1
    (count,) = struct.unpack(order + "H", exif[ifd : ifd + 2])
    for i in range(count):
        entry = ifd + 2 + 12 * i
        if entry + 12 > len(exif):
            return 1
        tag, kind, number = struct.unpack(order + "HHI", exif[entry : entry + 8])
        if tag != 0x0112:
            continue
        if kind != 3 or number != 1:  # SHORT, one value, stored in the entry itself
            return 1
        (value,) = struct.unpack(order + "H", exif[entry + 8 : entry + 10])
        return value if 1 <= value <= 8 else 1
    return 1
