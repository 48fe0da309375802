"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an organisation."""

import unicodedata

from app.errors import ValidationFailed

# The 31 characters of the code: digits and capitals without I, O, S, V, Z.
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """Return the check character for the first 17 characters of a code."""
    total = sum(CHARSET.index(char) * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def parse_credit_code(raw: str, field: str = "credit_code") -> str:
    """Normalise (full-width, lower case) and validate a code; return it or raise 422."""
    value = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if len(value) != 18:
        raise ValidationFailed(
            field, "A unified social credit code has 18 characters.", code="invalid_credit_code"
        )
    bad = [char for char in value if char not in CHARSET]
    if bad:
        raise ValidationFailed(
            field,
            f"'{bad[0]}' cannot appear in a unified social credit code.",
            code="invalid_credit_code",
        )
    if check_character(value[:17]) != value[17]:
        raise ValidationFailed(
            field,
            "The check character does not match: please check the code on the business licence.",
            code="invalid_credit_code",
        )
    return value
