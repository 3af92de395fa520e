"""Secrets handed to people (API tokens, link codes) and how they are kept: as digests only."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "lia_"  # noqa: S105 - a prefix, not a secret
LINK_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read aloud and typed on phones


def digest(secret: str) -> str:
    """SHA-256 hex digest. Tokens carry 256 bits of entropy, so an unsalted digest is safe to store."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_link_code(length: int = 10) -> str:
    return "".join(secrets.choice(LINK_CODE_ALPHABET) for _ in range(length))


def normalise_link_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "")


def sign(key: str, message: str) -> str:
    """HMAC-SHA256, hex."""
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify(key: str, message: str, signature: str) -> bool:
    return hmac.compare_digest(sign(key, message), signature)
