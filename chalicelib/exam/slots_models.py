"""Time slots inside an exam's window, each with a capacity and a conditional counter of bookings."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model


class SlotRecord(Model):
    TABLE_SUFFIX = "slots"

    class Meta:
        table_name = "slots"

    exam_id = UnicodeAttribute(hash_key=True)
    slot_id = UnicodeAttribute(range_key=True)  # "sl-<hex>"
    agency_id = UnicodeAttribute()
    starts_at = UTCDateTimeAttribute()
    grace_s = NumberAttribute()  # a booked candidate may start from starts_at to starts_at + grace_s
    capacity = NumberAttribute()
    booked = NumberAttribute(default=0)  # only ever changed under `booked < capacity` (or `booked > 0`)
    created_at = UTCDateTimeAttribute()
