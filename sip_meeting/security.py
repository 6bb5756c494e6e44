"""Password hashing and join-link tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# 32 bytes = 256 bits of randomness, comfortably above the 128 bits we promise.
TOKEN_BYTES = 32


def hash_password(password: str) -> str:
    """Hash a chair's password with Argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its stored hash without raising."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str]:
    """Return a fresh join token and the hash that is stored in its place."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    """Hash a join token; a fast hash suffices because the token itself is long and random."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Compare a presented token with a stored hash in constant time."""
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_token(token), stored_hash)


def derived_token(secret_key: str, label: str) -> str:
    """Derive a stable token from the secret key, used only so the demo prints the same links."""
    digest = hmac.new(secret_key.encode(), label.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
