"""Candidate accounts created in bulk by a roster import: generated passwords, cheap to hash, written in batches.

Why a cheaper hash for these only: scrypt at the interactive cost (passwords.py, n=2**14) takes ~90 ms here, so
10,000 new accounts would spend ~15 minutes hashing. The cost factor exists to slow down guessing of *human*
passwords; a generated one has ~79 random bits (16 characters of a 31-letter alphabet), which no cost factor is
needed to protect (2**80 guesses at any speed). So generated passwords are hashed with scrypt at n=2**8 (~1 ms);
the hash is self-describing (`scrypt$n$r$p$...`), so `verify_password` checks it unchanged. A password an admin
chooses is hashed at the full cost.

Why derived rather than random: a resumable import must give the same password when a part is re-sent after a
lost answer, without storing any password. The password is an HMAC of (agency, exam, batch, login) under a key
derived from the API's signing secret, so only this API can compute it, and only for the batch that created the
account; whether it still opens the account is checked against the stored hash before it is shown again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.core.db import is_condition_failure
from chalicelib.identity.models import UserRecord
from chalicelib.identity.passwords import hash_password, verify_password

GENERATED_N, GENERATED_R, GENERATED_P = 2**8, 8, 1
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed by candidates
PASSWORD_LEN = 16
TRANSACTION_ITEMS = 100  # DynamoDB's limit per TransactWriteItems


def password_key(secret: str) -> bytes:
    """The key generated passwords are derived from (never the signing key itself)."""
    return hmac.new(secret.encode("utf-8"), b"roster-passwords/v1", hashlib.sha256).digest()


def derived_password(key: bytes, scope: str, account: str) -> str:
    """The generated password of `account` in import `scope` (agency, exam, batch): the same every time."""
    digest = hmac.new(key, f"{scope}\n{account}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(PASSWORD_LEN):
        number, index = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def hash_generated(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=GENERATED_N, r=GENERATED_R, p=GENERATED_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${GENERATED_N}${GENERATED_R}${GENERATED_P}${b64(salt).decode()}${b64(digest).decode()}"


def is_generated_hash(stored: str) -> bool:
    return stored.startswith(f"scrypt${GENERATED_N}${GENERATED_R}${GENERATED_P}$")


def still_opens(user: UserRecord, password: str) -> bool:
    """True when `password` (a derived one) opens the account: cheap, and False for any human-set hash."""
    return is_generated_hash(user.password_hash) and verify_password(password, user.password_hash)


@dataclass(frozen=True)
class NewCandidate:
    account: str  # `<agency>~<login>`
    login: str
    full_name: str
    password: str
    generated: bool  # False: the admin chose it (hashed at the interactive cost)


def create_candidates(
    connection: Connection, agency_id: str, candidates: Iterable[NewCandidate], now: datetime
) -> set[str]:
    """Create the accounts that do not exist yet; returns the account ids this call created.

    Conditional writes (never an overwrite of an account created meanwhile), 100 per transaction; a transaction
    cancelled because one account appeared meanwhile is redone item by item.
    """
    records = [
        UserRecord(
            user_id=c.account,
            agency_id=agency_id,
            login=c.login,
            role="candidate",
            full_name=c.full_name,
            password_hash=hash_generated(c.password) if c.generated else hash_password(c.password),
            created_at=now,
        )
        for c in candidates
    ]
    created: set[str] = set()
    for start in range(0, len(records), TRANSACTION_ITEMS):
        chunk = records[start : start + TRANSACTION_ITEMS]
        try:
            with TransactWrite(connection=connection) as transaction:
                for record in chunk:
                    transaction.save(record, condition=UserRecord.user_id.does_not_exist())
            created.update(r.user_id for r in chunk)
        except TransactWriteError:
            for record in chunk:
                try:
                    record.save(condition=UserRecord.user_id.does_not_exist())
                    created.add(record.user_id)
                except PutError as exc:
                    if not is_condition_failure(exc):
                        raise
    return created
