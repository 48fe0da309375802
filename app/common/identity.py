"""Who someone is, checked and masked: ID-card numbers (GB 11643-1999), mainland mobiles, masks for output."""

import re
import unicodedata
from datetime import date

from app.errors import ValidationFailed

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# ASCII digits only: other scripts' digits would hash differently and slip past uniqueness.
ID_PATTERN = re.compile(r"^[0-9]{17}[0-9X]$")
PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")
# The 18-digit number carries the full birth year; the standard's own example is born in 1880.
EARLIEST_BIRTH = date(1800, 1, 1)


def id_check_character(first17: str) -> str:
    """Return the GB 11643-1999 check character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=False))
    return ID_CHECK[total % 11]


def parse_id_number(raw: str, field: str = "id_number") -> tuple[str, date, str]:
    """Validate a resident ID-card number; return (normalised, birth date, gender)."""
    # NFKC turns the full-width digits a Chinese keyboard may type into ASCII ones.
    value = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if not ID_PATTERN.match(value):
        raise ValidationFailed(
            field, "An ID-card number has 17 digits and a digit or X.", code="invalid_id_number"
        )
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationFailed(
            field, "The birth date in the ID-card number is not a real date.", code="invalid_id_number"
        ) from None
    if not EARLIEST_BIRTH <= birth <= date.today():
        raise ValidationFailed(
            field, "The birth date in the ID-card number is out of range.", code="invalid_id_number"
        )
    if id_check_character(value[:17]) != value[17]:
        raise ValidationFailed(
            field, "The ID-card number's check character is wrong.", code="invalid_id_number"
        )
    gender = "male" if int(value[16]) % 2 else "female"
    return value, birth, gender


def normalise_phone(raw: str, field: str = "phone") -> str:
    """Validate a mainland mobile number (optionally +86) and return its 11 digits."""
    value = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", raw or ""))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not PHONE_PATTERN.match(value):
        raise ValidationFailed(
            field, "A mainland mobile number has 11 digits starting 13-19.", code="invalid_phone"
        )
    return value


def mask_id_number(value: str) -> str:
    """Show the first 4 and last 4 characters of an ID-card number."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """Show a mobile number as 138****5678."""
    return value[:3] + "****" + value[-4:]


def mask_address(value: str | None) -> str | None:
    """Keep the start of an address (street level) and hide the house number."""
    if not value:
        return value
    keep = 6 if len(value) > 8 else max(len(value) // 2, 1)
    return value[:keep] + "****"


def mask_name(value: str | None) -> str | None:
    """Keep the family name (first character) only: 张秀英 → 张**."""
    if not value:
        return value
    return value[0] + "*" * max(1, len(value) - 1)
