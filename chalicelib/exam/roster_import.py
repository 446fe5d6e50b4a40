"""Admitting candidates at national scale: up to 1,000 rows per request, resumable per `?batch=&part=`.

A part runs in four steps: check every row (400 and nothing written otherwise), claim the part (a record keyed by
agency, exam, batch and part number, holding the sender and a digest of the rows), create the missing accounts
(100 conditional puts per transaction), then admit (admission + roster entry + booked slot, atomically per
chunk). The part record is marked done with its result.

Re-sending a part is safe at any point: a done part answers its stored result; a part that stopped half-way is
run again, and every step only adds what is missing. Passwords: a generated password is derived from (agency,
exam, batch, login) (identity/bulk_accounts.py), so the re-sent part shows the same passwords; they are shown only
to the admin who sent the part (another admin re-sending it gets the counts, `passwords_withheld`), and only
while they still open the account. No password is ever stored.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.agencies.audit import record_audit
from chalicelib.core.clock import Clock
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict
from chalicelib.core.principal import Principal
from chalicelib.exam.models import AdmissionRecord, ExamRecord
from chalicelib.exam.roster_models import RosterEntryRecord, RosterPartRecord
from chalicelib.exam.roster_parse import RosterRow, check_against_exam, digest
from chalicelib.exam.slots_models import SlotRecord
from chalicelib.identity import bulk_accounts
from chalicelib.identity.logins import account_id, login_of
from chalicelib.identity.models import UserRecord

RESUMABLE_FOR = timedelta(days=7)
ADMIT_CHUNK = 49  # admission + entry per row, plus the slot's counter: 99 of a transaction's 100 items
IN_PROGRESS, DONE = "in_progress", "done"


def row_error(row: int, code: str, login: str) -> dict[str, Any]:
    return {"row": row, "code": code, "login": login}


class RosterImport:
    def __init__(self, clock: Clock, connection: Connection, password_key: bytes) -> None:
        self._clock = clock
        self._connection = connection
        self._key = password_key

    def run(
        self, admin: Principal, exam: ExamRecord, rows: list[RosterRow], batch: str | None, part: int | None
    ) -> dict[str, Any]:
        slots = {s.slot_id: s for s in SlotRecord.query(exam.exam_id, consistent_read=True)}
        check_against_exam(rows, list(exam.languages), set(slots))
        scope = f"{admin.agency_id}#{exam.exam_id}#{batch or 'single'}"
        record = None
        if batch is not None and part is not None:
            record, finished = self._claim(admin, scope, part, digest(rows))
            if finished is not None:
                return finished
        result, created = self._admit(admin, exam, rows, batch, part, scope, slots)
        if record is not None and record.owner != admin.user_id:
            # another admin finishing (or racing) the sender's part: the counts, never the passwords
            result["passwords_withheld"] = len(result["passwords"])
            result["passwords"], result["created_accounts"] = [], []
        if record is not None:
            record.update(
                actions=[
                    RosterPartRecord.status.set(DONE),
                    RosterPartRecord.result.set({k: result[k] for k in ("admitted", "already_admitted", "errors")}),
                    RosterPartRecord.created.set(sorted(created)),
                ]
            )
        # Counts only, no names: the roster itself is the record of who was admitted
        counts = {"batch": batch, "part": part, "admitted": result["admitted"], "errors": len(result["errors"])}
        record_audit(admin, "roster.imported", exam.exam_id, {**counts, "already_admitted": result["already_admitted"]})
        return result

    # --- The part record ---------------------------------------------------------------------------------

    def _claim(
        self, admin: Principal, scope: str, part: int, rows_digest: str
    ) -> tuple[RosterPartRecord, dict[str, Any] | None]:
        """The part's record (claimed now, or found); with the stored answer when the part already finished."""
        now = self._clock.now()
        record = RosterPartRecord(
            import_key=scope,
            part=part,
            owner=admin.user_id,
            digest=rows_digest,
            status=IN_PROGRESS,
            started_at=now,
            expires_at=now + RESUMABLE_FOR,
        )
        try:
            record.save(condition=RosterPartRecord.import_key.does_not_exist())
            return record, None
        except PutError as exc:
            if not is_condition_failure(exc):
                raise
        try:
            record = RosterPartRecord.get(scope, part, consistent_read=True)
        except DoesNotExist:  # expired between the two calls: claim it again
            return self._claim(admin, scope, part, rows_digest)
        if record.digest != rows_digest:
            raise Conflict(
                "roster.part_mismatch",
                "This batch already has a different part with this number; start a new batch for a new file.",
                details={"part": part},
            )
        if record.status != DONE:
            return record, None  # stopped half-way (or still running): every step only adds what is missing
        stored = record.result.as_dict()
        created = list(record.created or [])
        answer = {
            "admitted": int(stored["admitted"]),
            "already_admitted": int(stored["already_admitted"]),
            "errors": list(stored["errors"]),
            "resent": True,
        }
        if record.owner == admin.user_id:
            answer["passwords"] = self._passwords_again(scope, created)
            answer["passwords_withheld"] = len(created) - len(answer["passwords"])
        else:
            answer["passwords"] = []
            answer["passwords_withheld"] = len(created)
        answer["created_accounts"] = [{"user_id": p["login"], "password": p["password"]} for p in answer["passwords"]]
        return record, answer

    def _passwords_again(self, scope: str, logins: list[str]) -> list[dict[str, str]]:
        """The derived passwords of these accounts, for those they still open (a reset since then wins)."""
        agency = scope.split("#", 1)[0]
        accounts = {u.user_id: u for u in UserRecord.batch_get([account_id(agency, login) for login in logins])}
        out = []
        for login in logins:
            user = accounts.get(account_id(agency, login))
            password = bulk_accounts.derived_password(self._key, scope, account_id(agency, login))
            if user is not None and bulk_accounts.still_opens(user, password):
                out.append({"login": login, "password": password})
        return out

    # --- Accounts and admissions -------------------------------------------------------------------------

    def _admit(
        self,
        admin: Principal,
        exam: ExamRecord,
        rows: list[RosterRow],
        batch: str | None,
        part: int | None,
        scope: str,
        slots: dict[str, SlotRecord],
    ) -> tuple[dict[str, Any], set[str]]:
        agency = admin.agency_id
        errors: list[dict[str, Any]] = []
        unique: dict[str, RosterRow] = {}
        for row in rows:  # the first line of a login counts; later ones are reported
            account = account_id(agency, row.login)
            if account in unique:
                errors.append(row_error(row.row, "roster.duplicate_login", row.login))
            else:
                unique[account] = row
        existing = {u.user_id: u for u in UserRecord.batch_get(list(unique))}
        clashes = sorted(login_of(uid) for uid, u in existing.items() if u.role != "candidate")
        if clashes:
            raise Conflict("roster.login_taken", "Some logins belong to another account.", details=clashes)
        admitted = {a.candidate_id: a for a in AdmissionRecord.batch_get([(c, exam.exam_id) for c in unique])}
        entries = {e.candidate_id: e for e in RosterEntryRecord.batch_get([(c, exam.exam_id) for c in admitted])}

        # Accounts: create the missing ones; a derived password is shown when this batch's account opens with it
        now = self._clock.now()
        new = [
            bulk_accounts.NewCandidate(
                account=account,
                login=row.login,
                full_name=row.full_name,
                password=row.password or self._new_password(scope, account, batch),
                generated=row.password is None,
            )
            for account, row in unique.items()
            if account not in existing
        ]
        made = bulk_accounts.create_candidates(self._connection, agency, new, now)
        created_logins: set[str] = set()
        passwords: list[dict[str, str]] = []
        created_accounts: list[dict[str, Any]] = []
        for candidate in new:
            if candidate.account not in made:
                continue  # created meanwhile by another import: its own passwords, not ours
            created_logins.add(candidate.login)
            created_accounts.append(
                {"user_id": candidate.login, "password": candidate.password if candidate.generated else None}
            )
            if candidate.generated:
                passwords.append({"login": candidate.login, "password": candidate.password})
        if batch is not None:  # a resumed part: accounts its first run created (our derived password opens them)
            for account, user in existing.items():
                row = unique[account]
                if row.password is None and (
                    account not in admitted or self._admitted_by(entries, account, batch, part)
                ):
                    password = bulk_accounts.derived_password(self._key, scope, account)
                    if bulk_accounts.still_opens(user, password):
                        created_logins.add(row.login)
                        passwords.append({"login": row.login, "password": password})
                        created_accounts.append({"user_id": row.login, "password": password})

        # Admissions: new ones, with their roster entry and pre-assigned slot, atomically per chunk
        already = [a for a in unique if a in admitted and not self._admitted_by(entries, a, batch, part)]
        for account in already:
            errors.append(
                row_error(unique[account].row, "roster.already_admitted", unique[account].row and login_of(account))
            )
        resumed = [a for a in unique if a in admitted and self._admitted_by(entries, a, batch, part)]
        to_admit = [a for a in unique if a not in admitted]
        by_slot: dict[str | None, list[str]] = defaultdict(list)
        for account in to_admit:
            by_slot[unique[account].slot_id].append(account)
        newly = 0
        for slot_id, accounts in by_slot.items():
            for start in range(0, len(accounts), ADMIT_CHUNK):
                chunk = accounts[start : start + ADMIT_CHUNK]
                newly += self._admit_chunk(admin, exam, chunk, unique, slot_id, batch, part, now, errors)
        errors.sort(key=lambda e: e["row"])
        return (
            {
                "admitted": newly + len(resumed),
                "already_admitted": len(already),
                "errors": errors,
                "passwords": sorted(passwords, key=lambda p: p["login"]),
                "passwords_withheld": 0,
                "created_accounts": created_accounts,  # the earlier answer's field, kept for its clients
            },
            created_logins,
        )

    def _new_password(self, scope: str, account: str, batch: str | None) -> str:
        """Derived (the same on a re-sent part) inside a batch; random for a one-off request."""
        if batch is None:
            return "".join(secrets.choice(bulk_accounts.ALPHABET) for _ in range(bulk_accounts.PASSWORD_LEN))
        return bulk_accounts.derived_password(self._key, scope, account)

    @staticmethod
    def _admitted_by(entries: dict[str, RosterEntryRecord], account: str, batch: str | None, part: int | None) -> bool:
        entry = entries.get(account)
        return batch is not None and entry is not None and entry.batch == batch and entry.part == part

    def _admit_chunk(
        self,
        admin: Principal,
        exam: ExamRecord,
        chunk: list[str],
        rows: dict[str, RosterRow],
        slot_id: str | None,
        batch: str | None,
        part: int | None,
        now: datetime,
        errors: list[dict[str, Any]],
    ) -> int:
        """Admit a chunk in one transaction; if it is cancelled (a seat short, a row admitted meanwhile), row by
        row, and a row whose slot is full is still admitted, without the slot (reported)."""
        try:
            self._admit_transaction(admin, exam, chunk, rows, slot_id, batch, part, now)
            return len(chunk)
        except TransactWriteError:
            pass
        count = 0
        for account in chunk:
            row = rows[account]
            for slot in (slot_id, None) if slot_id else (None,):
                try:
                    self._admit_transaction(admin, exam, [account], rows, slot, batch, part, now)
                    count += 1
                    if slot_id and slot is None:
                        errors.append(row_error(row.row, "slot.full", row.login))
                    break
                except TransactWriteError as exc:
                    # PynamoDB sends puts before updates: [admission, entry] then the slot's counter
                    codes = [r.code if r is not None else None for r in exc.cancellation_reasons or []]
                    if codes and codes[0] == "ConditionalCheckFailed":
                        errors.append(row_error(row.row, "roster.already_admitted", row.login))
                        break
                    if slot is None or len(codes) < 3 or codes[2] != "ConditionalCheckFailed":
                        raise
        return count

    def _admit_transaction(
        self,
        admin: Principal,
        exam: ExamRecord,
        chunk: list[str],
        rows: dict[str, RosterRow],
        slot_id: str | None,
        batch: str | None,
        part: int | None,
        now: datetime,
    ) -> None:
        with TransactWrite(connection=self._connection) as transaction:
            if slot_id is not None:
                slot = SlotRecord.get(exam.exam_id, slot_id, consistent_read=True)
                free_after = int(slot.capacity) - len(chunk)
                transaction.update(
                    SlotRecord(exam.exam_id, slot_id),
                    actions=[SlotRecord.booked.add(len(chunk))],
                    condition=(SlotRecord.booked <= free_after) & (SlotRecord.capacity == int(slot.capacity)),
                )
            for account in chunk:
                row = rows[account]
                transaction.save(
                    AdmissionRecord(
                        candidate_id=account, exam_id=exam.exam_id, agency_id=admin.agency_id, admitted_at=now
                    ),
                    condition=AdmissionRecord.candidate_id.does_not_exist(),
                )
                transaction.save(
                    RosterEntryRecord(
                        candidate_id=account,
                        exam_id=exam.exam_id,
                        agency_id=admin.agency_id,
                        language=row.language,
                        slot_id=slot_id,
                        booked_at=now if slot_id else None,
                        batch=batch,
                        part=part,
                    ),
                    condition=RosterEntryRecord.slot_id.does_not_exist(),
                )
