"""Everything that talks to the provincial employment platform: the adapter interface, its client, the fake.

The province's interface specification is not public: this package is the one place that knows
the wire format, so a real specification becomes one adapter module. Services call `upload(...)`
and get one `RecordResult` per record; the platform being down, slow or answering 5xx raises
`ProvinceUnavailable` (the whole batch may be sent again: the idempotency keys make a repeat
harmless). `fetch_jobs(since)` and `fetch_key_group_lists(since)` read what the province
publishes (issue 21 items 3 and 4); `fetch_counts(day)` what it holds of a day (item 5,
reconciliation). The wire format, the signature and the fake
are in docs/EXCHANGE.md.

May import: app.models, app.common.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)

# An ID number (18 characters, the last a digit or X) or a mainland mobile number anywhere in a text.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
PHONE = re.compile(r"(?<!\d)(?:\+?86)?1[3-9]\d{9}(?!\d)")


def mask(text: str | None) -> str | None:
    """Return a text with every ID number and phone number masked (for logs and stored errors)."""
    if not text:
        return text
    return PHONE.sub("1**********", ID_NUMBER.sub(lambda m: m.group()[:6] + "*" * 12, text))


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


def enabled() -> bool:
    """Say whether records go to the province at all (PROVINCE_EXCHANGE; off: they wait in the outbox)."""
    from flask import current_app

    return bool(current_app.config["PROVINCE_EXCHANGE"])


def upload(records: list[dict]) -> list[RecordResult]:
    """Send a batch of records ({key, type, action, subject, data}); return one result per record, in order.

    Raises ProvinceUnavailable when nothing is known of the batch (down, 5xx, timeout, an
    unusable answer, our signature refused, the exchange switched off).
    """
    from app.province import client

    return client.upload(records)


def fetch_jobs(since: str | None) -> tuple[list[dict], str | None]:
    """Return the province's jobs changed after the cursor `since`, and the cursor to ask with next."""
    from app.province import client

    return client.fetch("jobs", since)


def fetch_key_group_lists(since: str | None) -> tuple[list[dict], str | None]:
    """Return the province's key-group list entries changed after `since`, and the next cursor."""
    from app.province import client

    return client.fetch("key-groups", since)


def fetch_counts(day: date) -> dict[str, dict]:
    """Return what the province holds of the records we created on a day: {record_type: {count, keys}}.

    The day of a record is the city's day we created it (sent with it as `created_on`).
    """
    from app.province import client

    return client.fetch_counts(day)
