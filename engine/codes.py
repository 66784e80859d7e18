"""Public ticket codes: short, unambiguous when read aloud or typed, not guessable in sequence.

Codes use Crockford's base32 alphabet (no I, L, O, U), 8 random characters from ``secrets``:
32^8 ≈ 10^12 codes, so enumerating them is hopeless and collisions are rare (the unique
index catches the rest). Citizens' typing mistakes (o for 0, l for 1, spaces) are forgiven.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code(prefix: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{prefix}-{body[:4]}-{body[4:]}"


def normalize_code(text: str) -> str:
    """Canonical form of what a person typed: ``jkt 7k3m o9xd`` → ``JKT-7K3M-09XD``."""
    # No code has control characters or a broken encoding; the database would refuse to
    # even look them up (NUL on PostgreSQL, lone surrogates on both).
    text = "".join(ch for ch in text if ch.isprintable())
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    prefix_len = len(compact) - 8
    if prefix_len < 1:
        return text.strip().upper()
    prefix, body = compact[:prefix_len], compact[prefix_len:].translate(_CONFUSABLE)
    return f"{prefix}-{body[:4]}-{body[4:]}"
