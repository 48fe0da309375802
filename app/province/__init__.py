"""Everything that talks to the provincial employment platform: the adapter interface, its client, the fake.

The province's interface specification is not public: this package is the one place that knows
the wire format, so a real specification becomes one adapter module. Services call `upload(...)`
and get one `RecordResult` per record; the platform being down, slow or answering 5xx raises
`ProvinceUnavailable` (the whole batch may be sent again: the idempotency keys make a repeat
harmless).

May import: app.models, app.common.
"""

from dataclasses import dataclass


class ProvinceUnavailable(Exception):
    """The platform could not be reached, timed out, or failed (5xx): nothing is known of the batch."""


@dataclass(frozen=True)
class RecordResult:
    """What the province said of one record of a batch."""

    ACCEPTED = "accepted"  # applied now
    DUPLICATE = "duplicate"  # applied before (the same idempotency key): as good as accepted
    REJECTED = "rejected"  # refused with a code (bad field, unknown code): retrying as it is won't help
    RETRY = "retry"  # not applied, worth trying again (busy)

    key: str  # the record's idempotency key
    outcome: str
    code: str | None = None
    message: str | None = None
    province_id: str | None = None
