"""The policy calculator (政策计算器): which policies in force a set of facts qualifies for, and how much.

Anyone may answer a few questions (the documented facts, checked) and see every published policy
in force for the subject, with the estimated amount, the trace and what is missing. Logged in, a
resident (with consent) may use their own facts from the ledger, an employer its own; answers then
only fill what the ledger does not know. Nothing is stored and nothing is audited: it is a
question, not a record.
"""

from datetime import date

import sqlalchemy as sa

from app.common.clock import local_day
from app.errors import Forbidden, ValidationFailed
from app.extensions import db
from app.models import Account, Resident, Role
from app.services.jobs.employers import employer_of
from app.services.people.consents import require_consent
from app.services.policies import benefits, catalogue, facts, ledger_facts, rules

PLACE_FACTS = ("district_code", "township_code", "community_code")


def _my_facts(account: Account, subject: str, answered: dict, today: date) -> dict:
    """Return the caller's own facts from the ledger, with answers filling only what it does not know."""
    if account.role == Role.resident:
        if subject != "person":
            raise ValidationFailed("subject", "A resident's own facts are a person's.", "subject_mismatch")
        require_consent(account)
        resident_id = db.session.scalar(sa.select(Resident.id).where(Resident.account_id == account.id))
        mine = ledger_facts.person_facts([resident_id], today).get(resident_id) if resident_id else None
    elif account.role == Role.employer:
        if subject != "employer":
            raise ValidationFailed(
                "subject", "An employer's own facts are an employer's.", "subject_mismatch"
            )
        employer_id = employer_of(account).id
        mine = ledger_facts.employer_facts([employer_id], today).get(employer_id)
    else:
        raise Forbidden("no_facts_of_mine", "Only a resident or an employer has facts of their own.")
    merged = dict(mine or facts.empty_facts(subject))
    for name, value in answered.items():
        if merged.get(name) in (None, [], {}) and value not in (None, [], {}):
            merged[name] = value
    return merged


def evaluate(account: Account | None, values: dict, today: date | None = None) -> dict:
    """Evaluate every policy in force for the subject over the answers (or my facts); best value first."""
    today = today or local_day()
    subject = values.get("subject", "person")
    answers = values.get("answers") or {}
    answered = facts.answers_to_facts(answers, subject, today)
    use_mine = bool(values.get("use_my_facts"))
    if use_mine:
        if account is None:
            raise ValidationFailed("use_my_facts", "Log in to use your own facts.", "login_required")
        subject_facts = _my_facts(account, subject, {name: answered[name] for name in answers}, today)
    else:
        subject_facts = answered
    places = [subject_facts.get(name) for name in PLACE_FACTS if subject_facts.get(name)]
    results = []
    for version in catalogue.published_versions(subject, today):
        # Without a place (an anonymous answer may leave it out) every policy is shown.
        if places and not catalogue.applies_to(version, places):
            continue
        evaluation = rules.evaluate(version.rule, subject_facts, version.hints)
        amount = benefits.amount_fen(version.benefit, subject_facts)
        results.append(
            {
                "policy_id": version.policy_id,
                "version_id": version.id,
                "code": version.policy.code,
                "title": version.title,
                "document_number": version.document_number,
                "issuer": version.issuer,
                "is_demo": version.policy.is_demo,
                "benefit_text": benefits.describe(version.benefit),
                "qualified": evaluation.qualified,
                "near_miss": evaluation.near_miss,
                "amount_fen": amount,
                "claim_deadline": catalogue.claim_deadline(version, today) if evaluation.qualified else None,
                "trace": evaluation.trace,
                "missing": evaluation.missing,
            }
        )
    results.sort(
        key=lambda r: (not r["qualified"], not r["near_miss"], -(r["amount_fen"] or 0), r["policy_id"])
    )
    return {
        "subject": subject,
        "as_of": today,
        "used_my_facts": use_mine,
        "facts": subject_facts,
        "qualified_total_fen": sum(r["amount_fen"] or 0 for r in results if r["qualified"]),
        "policies": results,
    }
