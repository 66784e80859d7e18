"""Photos: checked by content, size-limited, stripped of metadata, kept behind a storage interface.

A photo's metadata can carry the reporter's exact GPS position, device, owner and time: EXIF,
XMP, IPTC, PNG text chunks, comments, previews. Nothing of it is kept:

1. the container is walked at the byte level and every metadata block is dropped before any
   decoder sees it (``engine.photo_containers``: Pillow's own EXIF parser is never run on
   what a citizen sent, so a malformed block cannot crash it);
2. the pixels are decoded, turned the right way up by the EXIF orientation we read ourselves,
   converted to sRGB when an ICC profile came with them (a profile can name the device, and
   without conversion a wide-gamut photo would look washed out), and copied into a fresh
   image with no info at all;
3. that image is encoded anew (JPEG stays JPEG, PNG stays PNG, WebP stays WebP).

Anything the decoder cannot read is "not a readable image", never an uncaught exception.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageCms

from engine.errors import RuleViolated
from engine.photo_containers import NOT_READABLE, orientation, sniff, strip_metadata

log = logging.getLogger(__name__)

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_MAX_PIXELS = 40_000_000
#: EXIF orientation → the transposition that makes the picture stand upright.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB = ImageCms.createProfile("sRGB")


class PhotoFile(bytes):
    """A photo's bytes as sent, with what the sender called it (a multipart file's name, or
    "photo 2"): a refusal of its pixels names it as the refusal of its size or type did."""

    name: str

    def __new__(cls, data: bytes, name: str) -> PhotoFile:
        photo = super().__new__(cls, data)
        photo.name = name
        return photo


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str

    @property
    def extension(self) -> str:
        return self.content_type.split("/")[1].replace("jpeg", "jpg")


def _format_of(raw: bytes) -> str:
    fmt = sniff(raw)
    if fmt is not None:
        return fmt
    try:  # name what it is when Pillow knows it (a GIF, a TIFF …), to say it is not accepted
        with Image.open(io.BytesIO(raw)) as probe:
            other = probe.format
    except Exception:  # untrusted bytes: whatever the identification fails with
        other = None
    if other:
        raise RuleViolated(
            f"photo format {other} is not accepted (JPEG, PNG, WebP)",
            key="photo_format",
            params={"field": "photos", "format": other},
        )
    raise RuleViolated(NOT_READABLE, key="photo_unreadable", params={"field": "photos"})


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    if not icc or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        return ImageCms.profileToProfile(image, source, _SRGB, outputMode=image.mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image  # a broken profile: keep the pixels as they are, drop the profile


def _too_many_pixels() -> RuleViolated:
    # In megapixels, as people read a photo's size (40), read when refusing: tests lower it.
    megapixels = float(f"{_MAX_PIXELS / 1_000_000:.3g}")
    shown: float | int = int(megapixels) if megapixels.is_integer() else megapixels
    return RuleViolated(
        f"photo has too many pixels; the limit is {shown} megapixels",
        key="photo_too_many_pixels",
        params={"field": "photos", "megapixels": shown, "max_pixels": _MAX_PIXELS},
    )


def _decode(raw: bytes, fmt: str) -> Image.Image:
    """The upright sRGB pixels of ``raw`` in a fresh image that carries no info at all."""
    stripped = strip_metadata(raw, fmt)
    try:
        # Opening reads only the header. Pillow refuses a header over twice its own limit
        # (DecompressionBombError) and warns over it — a warning is an exception where warnings
        # are errors: both mean far more than our limit, the same answer as a header over ours.
        opened = Image.open(io.BytesIO(stripped.data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    with opened as image:
        if image.width * image.height > _MAX_PIXELS:
            raise _too_many_pixels()
        image.load()
        has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        if fmt == "JPEG":
            mode = "L" if image.mode == "L" else "RGB"
        else:
            mode = "RGBA" if has_alpha else "RGB"
        pixels = image.convert(mode) if image.mode != mode else image.copy()
    pixels = _to_srgb(pixels, stripped.icc)
    turn = _UPRIGHT.get(orientation(stripped.exif))
    if turn is not None:
        pixels = pixels.transpose(turn)
    return Image.frombytes(pixels.mode, pixels.size, pixels.tobytes())


def size_words(count: int) -> str:
    """``8 MB``, ``64 KB``, ``512 bytes``: a size as people read it (kilobytes under one
    megabyte, bytes under one kilobyte; one decimal when not whole)."""
    if count < 1024:
        return f"{count:,} bytes"
    amount, unit = count / 1024, "KB"
    if round(amount, 1) >= 1024:  # 1,048,570 bytes: "1.0 MB", not "1024.0 KB"
        amount, unit = amount / 1024, "MB"
    shown = f"{amount:.0f}" if amount == int(amount) else f"{amount:.1f}"
    return f"{shown} {unit}"


def byte_size(count: int) -> str:
    """``8 MB (8,388,608 bytes)``, ``64 KB (65,536 bytes)``: ``size_words`` for people, the
    exact count for programs."""
    words = size_words(count)
    return words if count < 1024 else f"{words} ({count:,} bytes)"


def too_large(name: str, *, limit: int, size: int | None = None) -> str:
    """The one wording of "too big" (API, CLI, engine). ``size`` is left out when only a part
    was read (a reader that stops at ``limit + 1`` knows no more than "larger")."""
    if size is None or size <= limit:
        return f"{name} is larger than the limit of {byte_size(limit)}"
    return f"{name} is {byte_size(size)}, larger than the limit of {byte_size(limit)}"


def clean_photo(raw: bytes, *, max_bytes: int, name: str | None = None) -> CleanPhoto:
    """Validate ``raw`` as an image and return it re-encoded without any metadata.

    ``name``: which photo of the request the refusal names ("photo 2", a file's name); without
    it the refusal says "the uploaded file". Raises ``RuleViolated`` (``photo_too_large``,
    ``photo_unreadable``; ``params``: ``field`` "photos", and ``name`` when given)."""
    named = {"name": name} if name else {}
    if len(raw) > max_bytes:
        raise RuleViolated(
            too_large(name or "photo", limit=max_bytes, size=len(raw)),
            key="photo_too_large",
            params={"field": "photos", **named, "size": len(raw), "limit": max_bytes},
        )
    try:
        return _clean(raw)
    except RuleViolated as exc:
        words = _REFUSED.get(exc.code)
        if not name or words is None:
            raise
        raise RuleViolated(
            words.format(name=name, **exc.params),
            key=exc.code,
            params={**exc.params, **named},
        ) from exc


#: The refusals of ``_clean``, naming the photo (``clean_photo``'s ``name``).
_REFUSED = {
    "photo_unreadable": "{name} is not a readable image",
    "photo_format": "{name} is a {format}, which is not accepted (JPEG, PNG, WebP)",
    "photo_too_many_pixels": "{name} has too many pixels; the limit is {megapixels} megapixels",
}


def _clean(raw: bytes) -> CleanPhoto:
    fmt = _format_of(raw)
    try:
        image = _decode(raw, fmt)
        out = io.BytesIO()
        if fmt == "JPEG":
            image.save(out, format="JPEG", quality=88)
        elif fmt == "WEBP":
            image.save(out, format="WEBP", quality=88)
        else:
            image.save(out, format="PNG", optimize=True)
    except RuleViolated:
        raise
    except Exception as exc:
        # The decoders read bytes from anyone: whatever they fail with (OSError, SyntaxError,
        # ValueError, struct.error, DecompressionBombError …), the file is not a photo we take.
        log.info("photo refused: %s", type(exc).__name__)
        raise RuleViolated(
            NOT_READABLE, key="photo_unreadable", params={"field": "photos"}
        ) from exc
    data = out.getvalue()
    return CleanPhoto(
        data=data,
        content_type=_FORMATS[fmt],
        width=image.width,
        height=image.height,
        sha256=hashlib.sha256(data).hexdigest(),
    )


class MediaStorage(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...


class LocalMediaStorage:
    """Files under a directory, content-addressed: a retried upload rewrites the same file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()


class MemoryMediaStorage:
    """For tests and dry runs."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def put(self, key: str, data: bytes) -> None:
        self.files[key] = data

    def get(self, key: str) -> bytes:
        return self.files[key]


def storage_key(photo: CleanPhoto) -> str:
    return f"{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
