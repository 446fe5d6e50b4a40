"""Password hashing with scrypt (memory-hard KDF from the standard library)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P = 2**14, 8, 1


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def hash_password(password: str) -> str:
    """Return a self-describing hash string: scrypt$n$r$p$salt$digest."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of a password against a stored hash; False for any malformed hash.

    A hash made at a lower cost (generated roster passwords, identity/bulk_accounts.py) is checked at its own cost
    and then padded with one full-cost derivation, so every check costs at least what an unknown login's check of
    DUMMY_HASH costs: response time does not tell a bulk-imported login from an unknown one."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
        if int(n) < _N:
            _pad(password)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _pad(password: str) -> None:
    """One derivation at the full cost whose result is thrown away."""
    hashlib.scrypt(password.encode("utf-8"), salt=b"\0" * 16, n=_N, r=_R, p=_P, dklen=32)


# Verified against when the login is unknown, so response time does not reveal which logins exist.
DUMMY_HASH = hash_password(secrets.token_hex(8))
