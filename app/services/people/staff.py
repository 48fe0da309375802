"""Staff accounts: who may create which roles where, and the management of accounts inside a place."""

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Account, Operator, OperatorContract, OperatorStatus, Role, ScopeKind
from app.services.people import audit, console_sessions, second_factor
from app.services.people.accounts import check_new_password, hash_password
from app.services.people.places import describe_place, find_place, place_within, places_inside
from app.services.people.tokens import revoke_tokens
from app.services.results import Page, paginate

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")

# Which staff roles each role may create (always inside its own scope).
CREATABLE_ROLES = {
    Role.city_admin: {
        Role.city_admin,
        Role.district_admin,
        Role.township_admin,
        Role.operator,
        Role.station_staff,
        Role.grid_worker,
        Role.supervisor,
    },
    Role.district_admin: {Role.township_admin, Role.operator, Role.station_staff, Role.grid_worker},
    Role.township_admin: {Role.station_staff, Role.grid_worker},
    Role.operator: {Role.station_staff, Role.grid_worker},
}
# The place levels each staff role may be scoped to.
ROLE_SCOPE_KINDS = {
    Role.grid_worker: {ScopeKind.community, ScopeKind.township, ScopeKind.circle},
    Role.station_staff: {ScopeKind.township, ScopeKind.circle},
    Role.operator: {ScopeKind.circle, ScopeKind.district},
    Role.township_admin: {ScopeKind.township},
    Role.district_admin: {ScopeKind.district},
    Role.city_admin: {ScopeKind.city},
    Role.supervisor: {ScopeKind.circle, ScopeKind.district, ScopeKind.city},
}


def _scope_place(role: Role, scope: dict):
    """Resolve {kind, code} to (kind, place) for a role, or raise 422 on scope."""
    try:
        kind = ScopeKind(scope["kind"])
    except ValueError:
        raise ValidationFailed("scope.kind", "Unknown place kind.") from None
    if kind not in ROLE_SCOPE_KINDS[role]:
        allowed = ", ".join(sorted(k.value for k in ROLE_SCOPE_KINDS[role]))
        raise ValidationFailed(
            "scope.kind", f"A {role.value} is scoped to a {allowed}.", code="scope_kind_not_allowed"
        )
    place = find_place(kind, scope["code"])
    if place is None:
        raise ValidationFailed(
            "scope.code", f"No {kind.value} with code {scope['code']}.", code="unknown_place"
        )
    return kind, place


def _creatable_roles(actor: Account) -> set[Role]:
    """Return the roles `actor` may give; none without a place of its own."""
    if actor.scope_kind is None or actor.scope_id is None:
        return set()
    return CREATABLE_ROLES.get(Role(actor.role), set())


def _inside_scope(actor: Account, kind: str | None, place_id: int | None) -> bool:
    """Tell whether a place lies inside the actor's own place (an unplaced account never does)."""
    if actor.scope_kind is None or actor.scope_id is None or kind is None or place_id is None:
        return False
    return place_within(actor.scope_kind, actor.scope_id, kind, place_id)


def _check_role_assignable(actor: Account, role: Role) -> None:
    """Refuse unless `actor` may give `role` at all."""
    if role not in _creatable_roles(actor):
        raise Forbidden("role_not_assignable", f"You may not create or manage a {role.value}.")


def _check_may_manage(actor: Account, role: Role, kind: ScopeKind, place_id: int) -> None:
    """Refuse unless `actor` may give `role` at this place (a role it creates, inside its scope)."""
    _check_role_assignable(actor, role)
    if not _inside_scope(actor, kind.value, place_id):
        raise Forbidden("scope_outside_yours", "That place is outside your own area.")


def _check_operator(actor: Account, operator_id: int | None, kind: ScopeKind, place_id: int) -> None:
    """Refuse an operator the account may not belong to (422): unknown, suspended, not contracted there.

    An operator account gives its own operator only; an admin any active operator with a
    contract (of any period) in the district of the account's place.
    """
    if operator_id is None:
        return
    operator = db.session.get(Operator, operator_id)
    if operator is None or operator.status != OperatorStatus.active.value:
        raise ValidationFailed("operator_id", "No active operator with this id.", code="operator_not_found")
    if actor.role == Role.operator and operator_id != actor.operator_id:
        raise ValidationFailed(
            "operator_id", "An operator gives its staff its own operator.", code="operator_not_yours"
        )
    district_id = audit.scope_places(kind.value, place_id)["district_id"]
    contracted = db.session.scalar(
        sa.select(OperatorContract.id)
        .where(OperatorContract.operator_id == operator_id, OperatorContract.district_id == district_id)
        .limit(1)
    )
    if district_id is None or contracted is None:
        raise ValidationFailed(
            "operator_id",
            "The operator has no contract in this district.",
            code="operator_not_contracted_here",
        )


def create_staff(actor: Account, values: dict, ip: str | None) -> Account:
    """Create a staff account inside the actor's scope, with a role the actor may give."""
    role = Role(values["role"])
    # Someone who may not give this role learns nothing more from the rest of the input.
    _check_role_assignable(actor, role)
    username = values["username"].strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationFailed(
            "username", "3–64 characters: a-z, 0-9, '.', '_' or '-'.", code="invalid_username"
        )
    check_new_password(values["password"])
    kind, place = _scope_place(role, values["scope"])
    _check_may_manage(actor, role, kind, place.id)
    # An operator's staff belong to it unless told otherwise.
    operator_id = values.get("operator_id", actor.operator_id if actor.role == Role.operator else None)
    _check_operator(actor, operator_id, kind, place.id)
    if db.session.scalar(sa.select(Account.id).where(Account.username == username)):
        raise Conflict("username_taken", "This username is taken.", field="username")
    account = Account(
        role=role.value,
        username=username,
        display_name=values.get("display_name"),
        password_hash=hash_password(values["password"]),
        scope_kind=kind.value,
        scope_id=place.id,
        created_by_id=actor.id,
        operator_id=operator_id,
        employment_type=values.get("employment_type"),
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("username_taken", "This username is taken.", field="username") from None
    audit.commit(
        "staff.create",
        actor=actor,
        object_type="account",
        object_id=account.id,
        ip=ip,
        detail={
            "username": username,
            "role": role.value,
            "scope": {"kind": kind.value, "code": values["scope"]["code"]},
            # An operator's staff say whose, and how employed; others carry neither.
            **({"operator_id": operator_id} if operator_id else {}),
            **({"employment_type": values["employment_type"]} if values.get("employment_type") else {}),
        },
    )
    return account


def _managed_staff(actor: Account, account_id: int) -> Account:
    """Return a staff account the actor manages (its role and place), else 404."""
    managed = _managed_by(actor)
    account = None
    if managed is not None:
        account = db.session.scalar(sa.select(Account).where(Account.id == account_id, managed))
    if account is None:
        raise NotFound("staff_not_found", f"No staff account {account_id} that you manage.")
    return account


def _managed_by(actor: Account, role: str | None = None):
    """Return the WHERE clause of the staff accounts `actor` manages (None: it manages nobody).

    The one definition of "managed", for the list and for each single account: a role the
    actor may give, placed inside the actor's own place; one indexed query at any scale.
    """
    roles = {r.value for r in _creatable_roles(actor)}
    if role:
        roles &= {role}
    if not roles:
        return None
    inside = places_inside(actor.scope_kind, actor.scope_id)
    in_area = [sa.and_(Account.scope_kind == k.value, Account.scope_id.in_(ids)) for k, ids in inside.items()]
    return sa.and_(Account.role.in_(roles), sa.or_(*in_area))


def _scope_ref(kind: str | None, place_id: int | None) -> dict:
    """Name a place by kind and API code, for the audit log."""
    described = describe_place(kind, place_id)
    return {"kind": kind, "code": described["code"] if described else None}


def update_staff(actor: Account, account_id: int, values: dict, ip: str | None) -> Account:
    """Change a managed staff account: name, active flag, role, scope, password or second factor.

    `reset_second_factor` removes a lost authenticator (secret and recovery codes): the person
    enrols again at their next console sign-in (city and district admins must).
    """
    if account_id == actor.id and values.keys() & {"is_active", "role", "scope", "reset_second_factor"}:
        raise Forbidden(
            "self_change_forbidden",
            "Ask another administrator to change your own role, area, status or second factor.",
        )
    account = _managed_staff(actor, account_id)
    # Check everything before changing anything, so a refused request leaves no half-change.
    role = Role(values.get("role", account.role))
    kind, place_id = ScopeKind(account.scope_kind), account.scope_id
    if "role" in values or "scope" in values:
        if "scope" in values:
            kind, place = _scope_place(role, values["scope"])
            place_id = place.id
        elif kind not in ROLE_SCOPE_KINDS[role]:
            raise ValidationFailed(
                "scope", f"Give a new scope for a {role.value}.", code="scope_kind_not_allowed"
            )
        _check_may_manage(actor, role, kind, place_id)
    if "password" in values:
        check_new_password(values["password"])
    if "operator_id" in values:
        _check_operator(actor, values["operator_id"], kind, place_id)

    changes: dict = {}
    if role.value != account.role:
        changes["role"] = [account.role, role.value]
        account.role = role.value
    if (kind.value, place_id) != (account.scope_kind, account.scope_id):
        changes["scope"] = [
            _scope_ref(account.scope_kind, account.scope_id),
            _scope_ref(kind.value, place_id),
        ]
        account.scope_kind, account.scope_id = kind.value, place_id
    if "display_name" in values and values["display_name"] != account.display_name:
        changes["display_name"] = [account.display_name, values["display_name"]]
        account.display_name = values["display_name"]
    if "password" in values:
        account.password_hash = hash_password(values["password"])
        account.failed_logins, account.locked_until = 0, None
        changes["password"] = "reset"
    if "is_active" in values and values["is_active"] != account.is_active:
        changes["is_active"] = [account.is_active, values["is_active"]]
        account.is_active = values["is_active"]
    for name in ("operator_id", "employment_type"):
        if name in values and values[name] != getattr(account, name):
            changes[name] = [getattr(account, name), values[name]]
            setattr(account, name, values[name])
    if values.get("reset_second_factor") and account.totp_secret_enc is not None:
        second_factor.disable(account)
        changes["second_factor"] = "reset"
    # A new role, area, password, second factor or a disabling must not ride on tokens or console
    # sessions from before it.
    if changes.keys() & {"role", "scope", "password", "is_active", "second_factor"}:
        revoke_tokens(account.id)
        console_sessions.revoke_all(account.id)
    if changes:
        audit.record(
            "staff.update", actor=actor, object_type="account", object_id=account.id, ip=ip, detail=changes
        )
    db.session.commit()
    return account


def list_staff(actor: Account, page: int, per_page: int, role: str | None = None) -> Page:
    """Return the staff accounts the actor manages: roles it may create, inside its area."""
    managed = _managed_by(actor, role)
    if managed is None:
        return Page([], page, per_page, 0)
    return paginate(
        sa.select(Account).where(managed),
        page,
        per_page,
        order_by=(Account.id,),
        count=sa.select(sa.func.count()).select_from(Account).where(managed),
    )


def get_staff(actor: Account, account_id: int) -> Account:
    """Return one staff account the actor manages."""
    return _managed_staff(actor, account_id)


def create_admin(
    username: str, password: str, role: str, scope_kind: str, scope_code: str, display_name: str | None = None
) -> tuple[Account, bool]:
    """Create (or reset the password and second factor of) an administrator, from the command line.

    The break-glass way back in for an administrator who lost both password and authenticator:
    they enrol a new authenticator at their next console sign-in.
    """
    role_enum = Role(role)
    kind, place = _scope_place(role_enum, {"kind": scope_kind, "code": scope_code})
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise ValidationFailed(
            "username", "3–64 characters: a-z, 0-9, '.', '_' or '-'.", code="invalid_username"
        )
    check_new_password(password)
    account = db.session.scalar(sa.select(Account).where(Account.username == username))
    created = account is None
    if created:
        account = Account(username=username, role=role_enum.value)
        db.session.add(account)
    account.role = role_enum.value
    account.scope_kind, account.scope_id = kind.value, place.id
    account.display_name = display_name or account.display_name
    account.password_hash = hash_password(password)
    account.is_active = True
    account.failed_logins, account.locked_until = 0, None
    if not created:
        second_factor.disable(account)
        revoke_tokens(account.id)
        console_sessions.revoke_all(account.id)
    db.session.flush()
    audit.commit(
        "staff.create" if created else "staff.update",
        actor_label="cli",
        object_type="account",
        object_id=account.id,
        detail={"username": username, "role": role_enum.value, "via": "create-admin"},
    )
    return account, created
