"""The policy catalogue (政策库): policies and their versions, drafted, submitted and published by two people.

A policy belongs to the city or to one district. Its managers are the city admin, and for a
district's policy also that district's admin. A draft is edited in place; editing a published
(or ended) version makes a new draft version copied from it, numbered one higher, whose author is
the editor (the last editor of a draft becomes its author). Publishing needs a second manager:
never the version's author. Publishing supersedes the version in force in the same transaction;
publishing and withdrawing enqueue `policies.match_version`, so matches follow the catalogue.
Everyone reads published versions; only managers read drafts, pending versions and the history.
The fields' checks live in policy_fields.py.

Long because the workflow and the reads share the one scope rule (`manages`), kept in one place.
"""

import uuid
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.common.clock import local_day
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    Account,
    District,
    Policy,
    PolicySubject,
    PolicyVersion,
    PolicyVersionStatus,
    Role,
    ScopeKind,
    utcnow,
)
from app.queues import enqueue_after_commit
from app.services.people import audit
from app.services.policies import benefits
from app.services.policies.policy_fields import CODE_PATTERN, VERSION_FIELDS, checked_fields, fields_of

MANAGER_ROLES = (Role.city_admin, Role.district_admin)
EDITABLE = (PolicyVersionStatus.draft.value, PolicyVersionStatus.pending.value)


# ---- scope ------------------------------------------------------------------------------------


def manages(actor: Account | None, policy: Policy) -> bool:
    """Tell whether an account manages a policy: its city's admin, or its district's admin."""
    if actor is None or not actor.is_active or actor.scope_id is None:
        return False
    if actor.role == Role.city_admin and actor.scope_kind == ScopeKind.city:
        return actor.scope_id == policy.city_id
    if actor.role == Role.district_admin and actor.scope_kind == ScopeKind.district:
        return policy.district_id is not None and actor.scope_id == policy.district_id
    return False


def _owner(actor: Account, district_code: str | None) -> tuple[int, int | None]:
    """Return the (city_id, district_id) a new policy of this actor belongs to."""
    if actor.role == Role.city_admin and actor.scope_kind == ScopeKind.city:
        if district_code is None:
            return actor.scope_id, None
        district = db.session.scalar(sa.select(District).where(District.code == district_code))
        if district is None or district.city_id != actor.scope_id:
            raise ValidationFailed(
                "district_code", f"No district {district_code} in your city.", "unknown_district"
            )
        return district.city_id, district.id
    if actor.role == Role.district_admin and actor.scope_kind == ScopeKind.district:
        district = db.session.get(District, actor.scope_id)
        if district_code is not None and district_code != district.code:
            raise ValidationFailed(
                "district_code",
                "A district admin writes policies of their own district only.",
                "not_in_scope",
            )
        return district.city_id, district.id
    raise Forbidden("policy_managers_only", "Only the city or a district admin writes policies.")


def _policy(actor: Account | None, policy_id: int, lock: bool = False) -> Policy:
    """Load a policy its reader may see (a manager: any; anyone: one with a published version), else 404."""
    statement = sa.select(Policy).where(Policy.id == policy_id)
    if lock:
        statement = statement.with_for_update()
    policy = db.session.scalar(statement)
    if policy is None or not (manages(actor, policy) or _published(policy) is not None):
        raise NotFound("policy_not_found", f"No policy {policy_id}.")
    return policy


def _managed(actor: Account, policy_id: int) -> Policy:
    """Load a policy the actor manages (locked for the change): 404 unseen, 403 seen but not theirs."""
    policy = _policy(actor, policy_id, lock=True)
    if not manages(actor, policy):
        raise Forbidden("not_in_scope", "Only the policy's city admin or district admin may change it.")
    return policy


def _published(policy: Policy) -> PolicyVersion | None:
    return next((v for v in policy.versions if v.status == PolicyVersionStatus.published), None)


def _latest(policy: Policy) -> PolicyVersion:
    return max(policy.versions, key=lambda version: version.number)


# ---- writes -----------------------------------------------------------------------------------


def create_policy(actor: Account, values: dict, ip: str | None) -> tuple[PolicyVersion, bool]:
    """Create a policy and its first draft; a retry (same code and author, still a draft) returns it."""
    subject = values.get("subject")
    if subject not in set(PolicySubject):
        raise ValidationFailed("subject", f"One of: {', '.join(PolicySubject)}.")
    city_id, district_id = _owner(actor, values.get("district_code"))
    code = values.get("code")
    if code is not None:
        if not isinstance(code, str) or not CODE_PATTERN.match(code):
            raise ValidationFailed("code", "2–32 of A-Z, 0-9 and -.")
        existing = db.session.scalar(sa.select(Policy).where(Policy.code == code))
        if existing is not None:
            latest = _latest(existing)
            if existing.created_by_id == actor.id and latest.number == 1 and latest.status in EDITABLE:
                return latest, False
            raise Conflict("policy_code_taken", f"Policy code {code} is taken.", field="code")
    policy = Policy(
        code=code or f"P-{uuid.uuid4().hex[:10].upper()}",
        subject=subject,
        city_id=city_id,
        district_id=district_id,
        created_by_id=actor.id,
        is_demo=bool(values.get("is_demo", False)),
    )
    checked = checked_fields(values, policy)
    db.session.add(policy)
    version = PolicyVersion(
        policy=policy, number=1, status=PolicyVersionStatus.draft.value, author_id=actor.id
    )
    _apply(version, checked)
    db.session.add(version)
    db.session.flush()
    audit.commit(
        "policy.create", actor=actor, object_type="policy", object_id=policy.id, ip=ip, detail={"version": 1}
    )
    return version, True


def _apply(version: PolicyVersion, checked: dict) -> None:
    for name, value in checked.items():
        setattr(version, name, value)


def edit(actor: Account, policy_id: int, values: dict, ip: str | None) -> PolicyVersion:
    """Change the draft (a pending one goes back to draft); a published or ended one gets a new version."""
    policy = _managed(actor, policy_id)
    latest = _latest(policy)
    unknown = sorted(set(values) - set(VERSION_FIELDS))
    if unknown:
        raise ValidationFailed(unknown[0], f"{unknown[0]} cannot be changed.")
    checked = checked_fields({**fields_of(latest), **values}, policy)
    if latest.status in EDITABLE:
        version = latest
        version.status = PolicyVersionStatus.draft.value
        version.submitted_at = None
    else:
        version = PolicyVersion(
            policy=policy,
            number=latest.number + 1,
            status=PolicyVersionStatus.draft.value,
            author_id=actor.id,
        )
        db.session.add(version)
    # The last editor is the author: the second person who publishes must not have written it.
    version.author_id = actor.id
    _apply(version, checked)
    db.session.flush()
    audit.commit(
        "policy.edit",
        actor=actor,
        object_type="policy",
        object_id=policy.id,
        ip=ip,
        detail={"version": version.number, "fields": sorted(values)},
    )
    return version


def submit(actor: Account, policy_id: int, ip: str | None) -> PolicyVersion:
    """Submit the draft for publication by a second manager (409 not_draft)."""
    policy = _managed(actor, policy_id)
    version = _latest(policy)
    if version.status != PolicyVersionStatus.draft:
        raise Conflict("not_draft", "There is no draft to submit.")
    version.status = PolicyVersionStatus.pending.value
    version.submitted_at = utcnow()
    audit.commit(
        "policy.submit",
        actor=actor,
        object_type="policy",
        object_id=policy.id,
        ip=ip,
        detail={"version": version.number},
    )
    return version


def publish(actor: Account, policy_id: int, ip: str | None, note: str | None = None) -> PolicyVersion:
    """Publish the pending version (a manager other than its author); the one in force is superseded."""
    policy = _managed(actor, policy_id)
    version = _latest(policy)
    if version.status != PolicyVersionStatus.pending:
        raise Conflict("not_pending", "There is no submitted version to publish.")
    if version.author_id == actor.id:
        raise Forbidden("second_person_required", "A second admin publishes: not the version's author.")
    now = utcnow()
    previous = _published(policy)
    if previous is not None:
        previous.status = PolicyVersionStatus.superseded.value
        previous.ended_at = now
        # The unique "one published" state is reached in two statements: the old one first.
        db.session.flush()
    version.status = PolicyVersionStatus.published.value
    version.published_by_id = actor.id
    version.published_at = now
    enqueue_after_commit("policies.match_version", version.id)
    audit.commit(
        "policy.publish",
        actor=actor,
        object_type="policy",
        object_id=policy.id,
        ip=ip,
        detail={"version": version.number, "superseded": previous.number if previous else None, "note": note},
    )
    return version


def withdraw(actor: Account, policy_id: int, ip: str | None, reason: str | None = None) -> PolicyVersion:
    """Withdraw the published version: the policy stops and its matches lapse (409 not_published)."""
    policy = _managed(actor, policy_id)
    version = _published(policy)
    if version is None:
        raise Conflict("not_published", "The policy has no published version.")
    version.status = PolicyVersionStatus.withdrawn.value
    version.ended_at = utcnow()
    enqueue_after_commit("policies.match_version", version.id)
    audit.commit(
        "policy.withdraw",
        actor=actor,
        object_type="policy",
        object_id=policy.id,
        ip=ip,
        detail={"version": version.number, "reason": reason},
    )
    return version


# ---- reads ------------------------------------------------------------------------------------


def get_version(version_id: int) -> PolicyVersion:
    """Return a version by id (404 policy_version_not_found)."""
    version = db.session.get(PolicyVersion, version_id)
    if version is None:
        raise NotFound("policy_version_not_found", f"No policy version {version_id}.")
    return version


def in_force(version: PolicyVersion, today: date) -> bool:
    """Tell whether a version is published and in force on `today`."""
    return (
        version.status == PolicyVersionStatus.published
        and version.effective_from <= today
        and (version.effective_until is None or version.effective_until >= today)
    )


def published_versions(subject: str, today: date) -> list[PolicyVersion]:
    """Return the published versions in force on `today` of a subject's policies (by policy)."""
    return list(
        db.session.scalars(
            sa.select(PolicyVersion)
            .join(Policy, Policy.id == PolicyVersion.policy_id)
            .where(
                Policy.subject == subject,
                PolicyVersion.status == PolicyVersionStatus.published.value,
                PolicyVersion.effective_from <= today,
                sa.or_(PolicyVersion.effective_until.is_(None), PolicyVersion.effective_until >= today),
            )
            .options(selectinload(PolicyVersion.policy))
            .order_by(PolicyVersion.policy_id)
        )
    )


def _district_code(district_id: int) -> str:
    """Return a district's code, kept for the session once read (applies_to runs for every match)."""
    codes = db.session.info.setdefault("policies_district_codes", {})
    if district_id not in codes:
        codes[district_id] = db.session.scalar(sa.select(District.code).where(District.id == district_id))
    return codes[district_id]


def applies_to(version: PolicyVersion, place_codes: list[str]) -> bool:
    """Tell whether a version applies where someone is (their district, township and community codes).

    A version without place codes applies to its owner's whole place (the city, or its district).
    """
    codes = {code for code in place_codes if code}
    if version.place_codes:
        return bool(codes & set(version.place_codes))
    if version.policy.district_id is None:
        return True
    return _district_code(version.policy.district_id) in codes


def claim_deadline(version: PolicyVersion, qualified_on: date) -> date | None:
    """Return the last day to claim for someone who qualified on `qualified_on` (None: no deadline)."""
    rule = version.claim_deadline or {}
    days = []
    if rule.get("within_days"):
        days.append(qualified_on + timedelta(days=rule["within_days"]))
    if rule.get("by"):
        days.append(date.fromisoformat(rule["by"]))
    return min(days) if days else None


def view(policy: Policy, version: PolicyVersion, with_versions: bool = False) -> dict:
    """Return what the API shows of a policy at one version."""
    shown = {name: getattr(version, name) for name in VERSION_FIELDS}
    district_code = _district_code(policy.district_id) if policy.district_id is not None else None
    shown.update(
        id=policy.id,
        code=policy.code,
        subject=policy.subject,
        district_code=district_code,
        is_demo=policy.is_demo,
        version_id=version.id,
        number=version.number,
        status=version.status,
        rule_facts=version.rule_facts,
        benefit_text=benefits.describe(version.benefit),
        published_at=version.published_at,
        created_at=version.created_at,
        updated_at=version.updated_at,
        versions=[_summary(v) for v in sorted(policy.versions, key=lambda v: v.number)]
        if with_versions
        else None,
    )
    return shown


def _summary(version: PolicyVersion) -> dict:
    return {
        "version_id": version.id,
        "number": version.number,
        "status": version.status,
        "title": version.title,
        "author_id": version.author_id,
        "submitted_at": version.submitted_at,
        "published_by_id": version.published_by_id,
        "published_at": version.published_at,
        "ended_at": version.ended_at,
    }


def get_policy(actor: Account | None, policy_id: int) -> dict:
    """Return a policy: its published version to anyone; a manager sees the latest version and the list."""
    policy = _policy(actor, policy_id)
    if manages(actor, policy):
        return view(policy, _latest(policy), with_versions=True)
    return view(policy, _published(policy))


def list_versions(actor: Account, policy_id: int) -> list[dict]:
    """Return a policy's versions, oldest first (managers only: 404 unseen, 403 seen)."""
    policy = _policy(actor, policy_id)
    if not manages(actor, policy):
        raise Forbidden("not_in_scope", "Only the policy's managers see its versions.")
    return [_summary(version) for version in sorted(policy.versions, key=lambda v: v.number)]


def list_policies(
    subject: str | None = None, district_code: str | None = None, today: date | None = None
) -> list[dict]:
    """Return the policies in force today (published), optionally of a subject and applying in a district."""
    today = today or local_day()
    versions = [
        version
        for kind in ([subject] if subject else list(PolicySubject))
        for version in published_versions(kind, today)
    ]
    if district_code:
        versions = [version for version in versions if _applies_in_district(version, district_code)]
    return [view(version.policy, version) for version in sorted(versions, key=lambda v: v.policy_id)]


def _applies_in_district(version: PolicyVersion, district_code: str) -> bool:
    """Tell whether a version applies somewhere in a district (its places are there, or it is the city's)."""
    if version.policy.district_id is not None:
        return _district_code(version.policy.district_id) == district_code
    if not version.place_codes:
        return True
    # Administrative codes start with their district's first six digits.
    return any(code[:6] == district_code[:6] for code in version.place_codes)


def managed_list(actor: Account) -> list[dict]:
    """Return every policy the actor manages at its latest version (the console's catalogue)."""
    clause = Policy.city_id == actor.scope_id
    if actor.role == Role.district_admin:
        clause = Policy.district_id == actor.scope_id
    elif actor.role != Role.city_admin:
        return []
    policies = db.session.scalars(
        sa.select(Policy).where(clause).options(selectinload(Policy.versions)).order_by(Policy.id)
    )
    return [view(policy, _latest(policy)) for policy in policies if manages(actor, policy)]
