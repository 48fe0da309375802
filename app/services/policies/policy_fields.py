"""The fields of a policy version staff write: each checked and normalised, a 422 naming the first bad one."""

import re
from datetime import date

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import ClaimPeriod, Community, District, Policy, PolicyVersion, Township
from app.services.policies import benefits, rules
from app.services.policies.facts import SUBJECT_FACTS

CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,31}$")
# The fields of a version staff write (everything else is the workflow's).
VERSION_FIELDS = (
    "title",
    "document_number",
    "issuer",
    "summary",
    "place_codes",
    "effective_from",
    "effective_until",
    "benefit",
    "materials",
    "claim_deadline",
    "claim_period",
    "notice_days",
    "rule",
    "hints",
)
LIMITS = {"title": 128, "document_number": 64, "issuer": 128, "summary": 5000}
PLACE_CODES_MAX, MATERIALS_MAX, MATERIAL_LENGTH, HINT_LENGTH = 50, 30, 100, 100
WITHIN_DAYS_MAX = 3650


def _text(values: dict, name: str, required: bool = False) -> str | None:
    value = values.get(name)
    if isinstance(value, str):
        value = value.strip() or None
    if value is None:
        if required:
            raise ValidationFailed(name, f"{name} is required.")
        return None
    if not isinstance(value, str) or len(value) > LIMITS[name]:
        raise ValidationFailed(name, f"{name} is a text of at most {LIMITS[name]} characters.")
    return value


def _date(value, name: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationFailed(name, f"{name} is a date (YYYY-MM-DD).") from None


def _place_codes(codes, city_id: int, district_id: int | None) -> list[str]:
    """Return place codes checked: real district, township or community codes inside the owner's place."""
    if codes is None:
        return []
    if (
        not isinstance(codes, list)
        or len(codes) > PLACE_CODES_MAX
        or not all(isinstance(c, str) for c in codes)
    ):
        raise ValidationFailed("place_codes", f"place_codes is a list of at most {PLACE_CODES_MAX} codes.")
    codes = sorted(set(codes))
    districts = dict(
        db.session.execute(
            sa.select(District.code, District.id).where(District.code.in_(codes), District.city_id == city_id)
        ).all()
    )
    townships = dict(
        db.session.execute(
            sa.select(Township.code, Township.district_id)
            .join(District, District.id == Township.district_id)
            .where(Township.code.in_(codes), District.city_id == city_id)
        ).all()
    )
    communities = dict(
        db.session.execute(
            sa.select(Community.code, Township.district_id)
            .join(Township, Township.id == Community.township_id)
            .join(District, District.id == Township.district_id)
            .where(Community.code.in_(codes), District.city_id == city_id)
        ).all()
    )
    found = {**districts, **townships, **communities}
    for code in codes:
        if code not in found or (district_id is not None and found[code] != district_id):
            raise ValidationFailed(
                "place_codes", f"{code} is not a place inside the policy's own.", "unknown_place"
            )
    return codes


def _materials(materials) -> list[str]:
    if materials is None:
        return []
    if (
        not isinstance(materials, list)
        or len(materials) > MATERIALS_MAX
        or not all(isinstance(m, str) and 0 < len(m.strip()) <= MATERIAL_LENGTH for m in materials)
    ):
        raise ValidationFailed(
            "materials",
            f"materials is a list of at most {MATERIALS_MAX} texts of 1–{MATERIAL_LENGTH} characters.",
        )
    return [material.strip() for material in materials]


def _claim_deadline(deadline) -> dict:
    if deadline is None:
        return {}
    if not isinstance(deadline, dict) or set(deadline) - {"within_days", "by"}:
        raise ValidationFailed(
            "claim_deadline", 'claim_deadline is {"within_days": n} and/or {"by": "YYYY-MM-DD"}.'
        )
    normal = {}
    within = deadline.get("within_days")
    if within is not None:
        if isinstance(within, bool) or not isinstance(within, int) or not 1 <= within <= WITHIN_DAYS_MAX:
            raise ValidationFailed(
                "claim_deadline", f"within_days is a whole number from 1 to {WITHIN_DAYS_MAX}."
            )
        normal["within_days"] = within
    by = _date(deadline.get("by"), "claim_deadline")
    if by is not None:
        normal["by"] = by.isoformat()
    return normal


def _hints(hints, subject: str) -> dict:
    if hints is None:
        return {}
    if not isinstance(hints, dict):
        raise ValidationFailed("hints", "hints is an object of fact names and plain-Chinese texts.")
    for name, text in hints.items():
        if name not in SUBJECT_FACTS[subject]:
            raise ValidationFailed("hints", f"Unknown fact {name!r}.", "unknown_fact")
        if not isinstance(text, str) or not 0 < len(text.strip()) <= HINT_LENGTH:
            raise ValidationFailed("hints", f"A hint is a text of 1–{HINT_LENGTH} characters.")
    return {name: text.strip() for name, text in sorted(hints.items())}


def checked_fields(values: dict, policy: Policy) -> dict:
    """Return a version's fields checked and normalised (VERSION_FIELDS); 422 naming the first bad one."""
    subject = policy.subject
    checked = {
        "title": _text(values, "title", required=True),
        "document_number": _text(values, "document_number"),
        "issuer": _text(values, "issuer"),
        "summary": _text(values, "summary"),
        "place_codes": _place_codes(values.get("place_codes"), policy.city_id, policy.district_id),
        "effective_from": _date(values.get("effective_from"), "effective_from"),
        "effective_until": _date(values.get("effective_until"), "effective_until"),
        "materials": _materials(values.get("materials")),
        "claim_deadline": _claim_deadline(values.get("claim_deadline")),
        "claim_period": values.get("claim_period") or ClaimPeriod.once.value,
        "notice_days": values.get("notice_days", 7),
        "hints": _hints(values.get("hints"), subject),
    }
    if checked["effective_from"] is None:
        raise ValidationFailed("effective_from", "effective_from is required.")
    if checked["effective_until"] is not None and checked["effective_until"] < checked["effective_from"]:
        raise ValidationFailed(
            "effective_until", "effective_until is on or after effective_from.", "dates_out_of_order"
        )
    if checked["claim_period"] not in set(ClaimPeriod):
        raise ValidationFailed("claim_period", f"One of: {', '.join(ClaimPeriod)}.")
    notice = checked["notice_days"]
    if isinstance(notice, bool) or not isinstance(notice, int) or not 1 <= notice <= 30:
        raise ValidationFailed("notice_days", "notice_days is a whole number from 1 to 30.")
    if values.get("benefit") is None:
        raise ValidationFailed("benefit", "benefit is required.", "benefit_invalid")
    checked["benefit"] = benefits.check(values["benefit"], subject)
    if values.get("rule") is None:
        raise ValidationFailed("rule", "rule is required.", "rule_invalid")
    checked["rule_facts"] = rules.check(values["rule"], subject)
    checked["rule"] = values["rule"]
    return checked


def fields_of(version: PolicyVersion) -> dict:
    """Return a version's staff-written fields (to copy, or to merge a partial edit into)."""
    return {name: getattr(version, name) for name in VERSION_FIELDS}
