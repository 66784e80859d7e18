"""Photos: checked by content, size-limited, stripped of metadata, kept behind a storage interface.

A photo's EXIF block can carry the reporter's exact GPS position, device and time; we decode
the pixels and write a fresh file, so nothing but the image survives. Orientation is applied
first so the picture still stands the right way up without its EXIF tag.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import RuleViolated

_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_MAX_PIXELS = 40_000_000


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


def clean_photo(raw: bytes, *, max_bytes: int) -> CleanPhoto:
    """Validate ``raw`` as an image and return it re-encoded without metadata."""
    if len(raw) > max_bytes:
        raise RuleViolated(f"photo is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(raw))
        # Phones write JPEGs with an embedded preview (Multi-Picture Format); Pillow calls them
        # MPO. Only the first image is re-encoded, so the preview goes with the metadata.
        fmt = "JPEG" if image.format == "MPO" else image.format or ""
        if fmt not in _FORMATS:
            raise RuleViolated(f"photo format {fmt or 'unknown'} is not accepted (JPEG, PNG, WebP)")
        if image.width * image.height > _MAX_PIXELS:
            raise RuleViolated("photo has too many pixels")
        image = ImageOps.exif_transpose(image)
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, format="JPEG", quality=88)
        else:
            image.save(out, format=fmt)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RuleViolated("the uploaded file is not a readable image") from exc
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
