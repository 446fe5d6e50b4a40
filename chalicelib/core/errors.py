"""Domain errors: what went wrong, in the domain's words, with a stable code that is also the localization key.

They carry no HTTP status: the edge (`chalicelib/core/api.py`) maps each kind to one. Raising any of them means
nothing was changed.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An expected failure: a stable code, an English message and optional details (e.g. the field at fault)."""

    def __init__(self, code: str, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """The request itself is malformed or a value is out of its range."""


class Unauthenticated(DomainError):
    """Nobody, or nobody we can trust, is calling."""


class NotPermitted(DomainError):
    """The caller is known but may not do this (role, missing consent, identity not verified)."""


class NotFound(DomainError):
    """No such thing, or one that belongs to someone else (the two are indistinguishable on purpose)."""


class Conflict(DomainError):
    """The thing exists, but its current state does not allow the action."""


class Unprocessable(DomainError):
    """Well-formed input whose content cannot be used (a bad bank row, an unreadable photo)."""


class TooManyAttempts(DomainError):
    """A limit on repetitions was reached."""


class Unavailable(DomainError):
    """A dependency could not be reached; retrying the same call is safe."""
