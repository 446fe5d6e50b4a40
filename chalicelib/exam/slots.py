"""Exam slots: an admin cuts the window into start times with a capacity; a candidate books one, and may then
start only from the slot's start until start + grace.

The seat count is a counter on the slot, changed only in the same transaction as the candidate's roster entry
and only under `booked < capacity` (booking) or `booked > 0` (cancelling): two candidates racing for the last
seat cannot both get it, and a failed step leaves both items as they were.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.agencies.audit import record_audit
from chalicelib.core.clock import Clock, iso
from chalicelib.core.db import is_condition_failure
from chalicelib.core.errors import Conflict, InvalidInput, NotFound
from chalicelib.core.principal import Principal
from chalicelib.exam.models import AdmissionRecord, ExamRecord, SessionRecord
from chalicelib.exam.roster_models import RosterEntryRecord
from chalicelib.exam.roster_parse import SLOT_ID
from chalicelib.exam.slots_models import SlotRecord

DEFAULT_GRACE_S = 15 * 60
MAX_SLOTS = 200  # per exam


def slot_view(slot: SlotRecord) -> dict[str, Any]:
    return {
        "slot_id": slot.slot_id,
        "starts_at": iso(slot.starts_at),
        "ends_at": iso(window_end(slot)),
        "grace_s": int(slot.grace_s),
        "capacity": int(slot.capacity),
        "booked": int(slot.booked),
        "available": max(0, int(slot.capacity) - int(slot.booked)),
    }


def window_end(slot: SlotRecord) -> datetime:
    return slot.starts_at + timedelta(seconds=int(slot.grace_s))


def exam_slots(exam_id: str) -> list[SlotRecord]:
    return sorted(SlotRecord.query(exam_id, consistent_read=True), key=lambda s: (s.starts_at, s.slot_id))


def entry_of(candidate_id: str, exam_id: str) -> RosterEntryRecord | None:
    try:
        return RosterEntryRecord.get(candidate_id, exam_id, consistent_read=True)
    except DoesNotExist:
        return None


def cabinet_slots(candidate_id: str, exam_id: str) -> dict[str, Any]:
    """What the candidate's cabinet shows: the exam's slots (empty: no booking needed) and their booking."""
    entry = entry_of(candidate_id, exam_id)
    booking = None
    if entry is not None and entry.slot_id is not None:
        booking = {"slot_id": entry.slot_id, "booked_at": iso(entry.booked_at) if entry.booked_at else None}
    return {"slots": [slot_view(s) for s in exam_slots(exam_id)], "booking": booking}


def require_slot_window(candidate_id: str, exam_id: str, now: datetime) -> None:
    """The start rule: in an exam with slots, a candidate starts only within their booked slot's window."""
    slots = {s.slot_id: s for s in SlotRecord.query(exam_id, consistent_read=True)}
    if not slots:
        return
    entry = entry_of(candidate_id, exam_id)
    slot = slots.get(entry.slot_id) if entry and entry.slot_id else None
    if slot is None:
        raise Conflict("slot.not_booked", "Book a time slot in your cabinet before starting.")
    if now < slot.starts_at:
        raise Conflict("slot.not_started", "Your slot has not started yet.", details={"starts_at": iso(slot.starts_at)})
    if now >= window_end(slot):
        raise Conflict("slot.missed", "Your slot's start window has passed.", details={"slot_id": slot.slot_id})


def _transaction_failed(exc: TransactWriteError) -> list[str | None]:
    """Per item of the transaction, the cancellation code (None where that item was fine)."""
    return [reason.code if reason is not None else None for reason in (exc.cancellation_reasons or [])]


class SlotBook:
    def __init__(self, clock: Clock, connection: Connection) -> None:
        self._clock = clock
        self._connection = connection

    # --- Admin -------------------------------------------------------------------------------------------

    def create(self, admin: Principal, exam: ExamRecord, starts_at: datetime, capacity: int, grace_s: int | None):
        grace = DEFAULT_GRACE_S if grace_s is None else grace_s
        if not exam.opens_at <= starts_at < exam.closes_at:
            raise InvalidInput(
                "slot.outside_window",
                "The slot must start inside the exam's window.",
                details={"opens_at": iso(exam.opens_at), "closes_at": iso(exam.closes_at)},
            )
        if len(list(SlotRecord.query(exam.exam_id, limit=MAX_SLOTS + 1))) >= MAX_SLOTS:
            raise Conflict("slot.too_many", f"An exam has at most {MAX_SLOTS} slots.")
        slot = SlotRecord(
            exam_id=exam.exam_id,
            slot_id=f"sl-{secrets.token_hex(6)}",
            agency_id=admin.agency_id,
            starts_at=starts_at,
            grace_s=grace,
            capacity=capacity,
            booked=0,
            created_at=self._clock.now(),
        )
        slot.save(condition=SlotRecord.slot_id.does_not_exist())
        view = slot_view(slot)
        record_audit(admin, "slot.created", exam.exam_id, {"slot_id": slot.slot_id, "capacity": capacity})
        return view

    def list(self, exam: ExamRecord) -> list[dict[str, Any]]:
        return [slot_view(s) for s in exam_slots(exam.exam_id)]

    def delete(self, admin: Principal, exam: ExamRecord, slot_id: str) -> None:
        """Only an empty slot goes (409 slot.not_empty otherwise: cancel its bookings first)."""
        slot = self._slot(exam.exam_id, slot_id)
        try:
            slot.delete(condition=SlotRecord.booked == 0)
        except DeleteError as exc:
            if not is_condition_failure(exc):
                raise
            raise Conflict("slot.not_empty", "The slot has bookings; they must be cancelled first.") from None
        record_audit(admin, "slot.deleted", exam.exam_id, {"slot_id": slot_id})

    # --- Candidate -------------------------------------------------------------------------------------

    def candidate_view(self, candidate: Principal, exam_id: str) -> dict[str, Any]:
        self._admission(candidate, exam_id)
        return {"exam_id": exam_id, **cabinet_slots(candidate.user_id, exam_id)}

    def book(self, candidate: Principal, exam_id: str, slot_id: str) -> dict[str, Any]:
        """Book (or move to) a slot; 409 slot.full when no seat is left, slot.closed once it has begun."""
        self._admission(candidate, exam_id)
        self._not_started(candidate, exam_id)
        slot = self._slot(exam_id, slot_id)
        now = self._clock.now()
        if now >= window_end(slot):
            raise Conflict("slot.closed", "That slot has already ended.")
        entry = self._entry(candidate.user_id, exam_id)
        previous = entry.slot_id if entry else None
        if previous == slot_id:
            return self.candidate_view(candidate, exam_id)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    SlotRecord(exam_id, slot_id),
                    actions=[SlotRecord.booked.add(1)],
                    condition=SlotRecord.slot_id.exists() & (SlotRecord.booked < SlotRecord.capacity),
                )
                if previous is not None:
                    transaction.update(
                        SlotRecord(exam_id, previous),
                        actions=[SlotRecord.booked.add(-1)],
                        condition=SlotRecord.booked > 0,
                    )
                transaction.update(
                    RosterEntryRecord(candidate.user_id, exam_id),
                    actions=[
                        RosterEntryRecord.agency_id.set(candidate.agency_id),
                        RosterEntryRecord.slot_id.set(slot_id),
                        RosterEntryRecord.booked_at.set(now),
                    ],
                    condition=(
                        RosterEntryRecord.slot_id.does_not_exist()
                        if previous is None
                        else RosterEntryRecord.slot_id == previous
                    ),
                )
        except TransactWriteError as exc:
            codes = _transaction_failed(exc)
            if codes and codes[0] == "ConditionalCheckFailed":
                raise Conflict("slot.full", "No seats are left in that slot; choose another.") from None
            if "ConditionalCheckFailed" in codes or "TransactionConflict" in codes:
                raise Conflict("booking.changed", "Your booking changed meanwhile; look again.") from None
            raise
        return self.candidate_view(candidate, exam_id)

    def cancel(self, candidate: Principal, exam_id: str) -> dict[str, Any]:
        self._admission(candidate, exam_id)
        self._not_started(candidate, exam_id)
        entry = self._entry(candidate.user_id, exam_id)
        if entry is None or entry.slot_id is None:
            raise NotFound("booking.not_found", "You have no booking for this exam.")
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    SlotRecord(exam_id, entry.slot_id),
                    actions=[SlotRecord.booked.add(-1)],
                    condition=SlotRecord.booked > 0,
                )
                transaction.update(
                    RosterEntryRecord(candidate.user_id, exam_id),
                    actions=[RosterEntryRecord.slot_id.remove(), RosterEntryRecord.booked_at.remove()],
                    condition=RosterEntryRecord.slot_id == entry.slot_id,
                )
        except TransactWriteError as exc:
            if {"ConditionalCheckFailed", "TransactionConflict"} & set(_transaction_failed(exc)):
                raise Conflict("booking.changed", "Your booking changed meanwhile; look again.") from None
            raise
        return self.candidate_view(candidate, exam_id)

    # --- Helpers ---------------------------------------------------------------------------------------

    @staticmethod
    def _entry(candidate_id: str, exam_id: str) -> RosterEntryRecord | None:
        return entry_of(candidate_id, exam_id)

    @staticmethod
    def _slot(exam_id: str, slot_id: str) -> SlotRecord:
        if not SLOT_ID.match(slot_id):
            raise NotFound("slot.not_found", "No such slot in this exam.")
        try:
            return SlotRecord.get(exam_id, slot_id, consistent_read=True)
        except DoesNotExist:
            raise NotFound("slot.not_found", "No such slot in this exam.") from None

    @staticmethod
    def _admission(candidate: Principal, exam_id: str) -> AdmissionRecord:
        try:
            admission = AdmissionRecord.get(candidate.user_id, exam_id)
        except DoesNotExist:
            admission = None
        if admission is None or admission.agency_id != candidate.agency_id:
            raise NotFound("exam.not_found", "No such exam among your admissions.")
        return admission

    @staticmethod
    def _not_started(candidate: Principal, exam_id: str) -> None:
        from chalicelib.exam.sessions import session_id_for

        try:
            SessionRecord.get(session_id_for(exam_id, candidate.user_id))
        except DoesNotExist:
            return
        raise Conflict("booking.session_started", "The exam has started; the booking can no longer change.")
