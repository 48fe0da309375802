"""What a policy pays: a fixed amount, an amount per month up to a maximum, or a formula over the facts.

Amounts are written in yuan (whole, or with two decimals) and computed in fen (分) as ints, so
sums and the payment roster never meet a float's rounding.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.errors import ValidationFailed
from app.services.policies import rules
from app.services.policies.facts import FACTS

KINDS = ("fixed", "monthly", "formula")
# The largest amount a benefit may state (yuan): far above any employment subsidy.
AMOUNT_MAX = Decimal(10_000_000)
MONTHS_MAX = 120


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed("benefit", message, code="benefit_invalid")


def _yuan(value, what: str) -> Decimal:
    """Return an amount in yuan (0 … AMOUNT_MAX, at most two decimals) as a Decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _invalid(f"{what} is an amount in yuan.")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _invalid(f"{what} is an amount in yuan.") from None
    if (
        not amount.is_finite()
        or amount < 0
        or amount > AMOUNT_MAX
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise _invalid(f"{what} is 0 to {AMOUNT_MAX} yuan, with at most two decimals.")
    return amount


def _number(amount: Decimal) -> int | float:
    """Return a yuan amount as JSON writes it: an int when whole."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def check(benefit, subject: str | None = None) -> dict:
    """Return a benefit normalised; 422 benefit_invalid for anything else."""
    if not isinstance(benefit, dict) or benefit.get("kind") not in KINDS:
        raise _invalid(f"A benefit is an object with kind one of: {', '.join(KINDS)}.")
    kind = benefit["kind"]
    allowed = {
        "fixed": {"kind", "amount"},
        "monthly": {"kind", "amount_per_month", "max_months", "months_fact"},
        "formula": {"kind", "expression", "max_amount"},
    }[kind]
    extra = sorted(set(benefit) - allowed)
    if extra:
        raise _invalid(f"Unknown benefit fields for {kind}: {', '.join(extra)}.")
    if kind == "fixed":
        return {"kind": kind, "amount": _number(_yuan(benefit.get("amount"), "amount"))}
    if kind == "monthly":
        months = benefit.get("max_months")
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= MONTHS_MAX:
            raise _invalid(f"max_months is a whole number from 1 to {MONTHS_MAX}.")
        normal = {
            "kind": kind,
            "amount_per_month": _number(_yuan(benefit.get("amount_per_month"), "amount_per_month")),
            "max_months": months,
        }
        fact = benefit.get("months_fact")
        if fact is not None:
            if fact not in FACTS or FACTS[fact].type != "int":
                raise _invalid("months_fact names a whole-number fact (e.g. a count of months).")
            if subject is not None and FACTS[fact].subject != subject:
                raise _invalid(f"months_fact is not a fact about a {subject}.")
            normal["months_fact"] = fact
        return normal
    expression = benefit.get("expression")
    try:
        rules.check(expression, subject)
    except ValidationFailed as exc:
        raise _invalid(f"The formula: {exc.message}") from None
    normal = {"kind": kind, "expression": expression}
    if benefit.get("max_amount") is not None:
        normal["max_amount"] = _number(_yuan(benefit["max_amount"], "max_amount"))
    return normal


def reads(benefit: dict) -> set[str]:
    """Return the facts a (checked) benefit reads: its months fact, or its formula's."""
    if benefit.get("kind") == "monthly" and benefit.get("months_fact"):
        return {benefit["months_fact"]}
    if benefit.get("kind") == "formula":
        return set(rules.check(benefit["expression"]))
    return set()


def _fen(yuan) -> int:
    """Return yuan as whole fen, rounded half up."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_fen(benefit: dict, facts: dict) -> int | None:
    """Return what the benefit pays over the facts, in fen (None when a formula cannot be worked out)."""
    kind = benefit.get("kind")
    if kind == "fixed":
        return _fen(benefit["amount"])
    if kind == "monthly":
        months = benefit["max_months"]
        fact = benefit.get("months_fact")
        if fact:
            value = facts.get(fact)
            if value is None:
                return None
            months = max(0, min(int(value), months))
        return _fen(benefit["amount_per_month"]) * months
    if kind == "formula":
        value = rules.apply(benefit["expression"], facts)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            return None
        fen = max(0, _fen(value)) if abs(value) < AMOUNT_MAX * 10 else None
        if fen is not None and benefit.get("max_amount") is not None:
            fen = min(fen, _fen(benefit["max_amount"]))
        return fen
    return None


def yuan_text(fen: int) -> str:
    """Return fen as "1,000 元" (two decimals only when there are any)."""
    yuan = Decimal(fen) / 100
    return f"{yuan:,.0f} 元" if fen % 100 == 0 else f"{yuan:,.2f} 元"


def describe(benefit: dict) -> str:
    """Return the benefit in plain Chinese, e.g. "一次性 1,000 元"."""
    kind = benefit.get("kind")
    if kind == "fixed":
        return f"一次性 {yuan_text(_fen(benefit['amount']))}"
    if kind == "monthly":
        text = f"每月 {yuan_text(_fen(benefit['amount_per_month']))}，最长 {benefit['max_months']} 个月"
        if benefit.get("months_fact"):
            text += f"（按{FACTS[benefit['months_fact']].label}计）"
        return text
    if kind == "formula":
        text = f"按公式计算：{rules.formula_text(benefit['expression'])} 元"
        if benefit.get("max_amount") is not None:
            text += f"，最高 {yuan_text(_fen(benefit['max_amount']))}"
        return text
    return ""
