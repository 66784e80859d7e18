"""Photos as they are kept: the bytes on disk under their digest, in colours a browser shows.

Written against mutants that survived the suite (issue 6 §7): ``put`` without creating
missing parent folders or failing when the folder is already there, a CMYK JPEG kept as CMYK,
the key's folder taken from three hex digits, the pixel limit off by one.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from engine import photos
from engine.errors import RuleViolated
from engine.photos import LocalMediaStorage, clean_photo, storage_key


def test_local_storage_creates_a_missing_root_and_reuses_existing_folders(tmp_path: Path) -> None:
    root = tmp_path / "media" / "photos"  # a fresh install: nothing there yet
    storage = LocalMediaStorage(root)
    storage.put("ab/abc.jpg", b"first photo")
    storage.put("ab/abd.png", b"second photo, same folder")
    storage.put("ab/abc.jpg", b"retried upload")  # content-addressed: a retry rewrites it
    assert (root / "ab" / "abc.jpg").read_bytes() == b"retried upload"
    assert (root / "ab" / "abd.png").read_bytes() == b"second photo, same folder"
    assert sorted(p.name for p in (root / "ab").iterdir()) == ["abc.jpg", "abd.png"]
    assert storage.get("ab/abd.png") == b"second photo, same folder"


def _jpeg(mode: str, colour: tuple[int, ...], size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="JPEG")
    return out.getvalue()


def test_clean_photo_cmyk_jpeg_comes_out_rgb_in_the_same_colours() -> None:
    # Print-shop CMYK JPEGs show wrong colours in many browsers: the copy kept is RGB.
    photo = clean_photo(_jpeg("CMYK", (0, 255, 255, 0)), max_bytes=1_000_000)  # pure red ink
    stored = Image.open(io.BytesIO(photo.data))
    assert (photo.content_type, stored.format, stored.mode) == ("image/jpeg", "JPEG", "RGB")
    red, green, blue = stored.getpixel((32, 24))
    assert red > 230 and green < 25 and blue < 25


def test_clean_photo_stored_under_its_own_digest(tmp_path: Path) -> None:
    photo = clean_photo(_jpeg("RGB", (10, 120, 200)), max_bytes=1_000_000)
    digest = hashlib.sha256(photo.data).hexdigest()
    assert photo.sha256 == digest
    assert storage_key(photo) == f"{digest[:2]}/{digest}.jpg"
    storage = LocalMediaStorage(tmp_path)
    storage.put(storage_key(photo), photo.data)
    assert (tmp_path / digest[:2] / f"{digest}.jpg").read_bytes() == photo.data


def test_clean_photo_pixel_limit_is_inclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(photos, "_MAX_PIXELS", 64 * 48)
    assert clean_photo(_jpeg("RGB", (1, 2, 3)), max_bytes=1_000_000).width == 64
    with pytest.raises(
        RuleViolated, match=r"^photo has too many pixels; the limit is 0.00307 megapixels$"
    ):
        clean_photo(_jpeg("RGB", (1, 2, 3), (65, 48)), max_bytes=1_000_000)


def test_clean_photo_unreadable_upload_is_told_in_plain_words() -> None:
    with pytest.raises(RuleViolated, match=r"^the uploaded file is not a readable image$"):
        clean_photo(b"\xff\xd8\xff\xe0 not really a jpeg", max_bytes=1_000_000)
