"""What a catalogue load or a boundary import changed, counted per kind of row."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    deactivated: dict[str, int] = field(default_factory=dict)
    #: Generated offices whose e-mail addresses changed (an area renamed, a rule edited), one
    #: line each: "KEL-31.74.01.1004 Kantor Kelurahan Kebon Baru Raya: queue a → b; head c → d".
    #: Mail to the old addresses stops without a word otherwise; the CLI prints them.
    address_changes: list[str] = field(default_factory=list)
    #: Open work still held by an agency or filed under a category the catalogue no longer
    #: has, one line each ("agency GULKARMAT is no longer in the catalogue and still holds 1
    #: open ticket: JKT-…"): nothing moves it on its own, so the operator is told, even by a
    #: load that changed nothing.
    retired_holding: list[str] = field(default_factory=list)

    def count(self, bucket: dict[str, int], kind: str) -> None:
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deactivated)

    def as_dict(self) -> dict[str, int]:
        flat: dict[str, int] = {}
        for name, bucket in (
            ("created", self.created),
            ("updated", self.updated),
            ("deactivated", self.deactivated),
        ):
            for kind, n in bucket.items():
                flat[f"{kind}.{name}"] = n
        return flat
