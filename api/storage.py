"""Photo storage for one request: files written by a request whose transaction rolls back are
removed again, so a rejected or failed request leaves nothing behind."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from engine import Database
from engine.models import Attachment


class RequestStorage:
    """Wraps a directory; remembers which files this request created."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.created: list[str] = []

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError(f"storage key {key!r} leaves the media directory")
        return path

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path.exists():
            return  # content-addressed: the same bytes are already there
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        self.created.append(key)

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def discard(self, database: Database | None) -> None:
        """After a rollback: delete what we created, unless a committed row uses it meanwhile."""
        keys, self.created = self.created, []
        if not keys:
            return
        used: set[str] = set()
        if database is not None:
            with database.reading() as session:
                used = set(
                    session.scalars(
                        select(Attachment.storage_key).where(Attachment.storage_key.in_(keys))
                    )
                )
        for key in keys:
            if key not in used:
                self._path(key).unlink(missing_ok=True)
