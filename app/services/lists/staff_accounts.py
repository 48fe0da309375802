"""Staff accounts (工作人员账号): every staff account placed inside the actor's own place.

Reading is wider than managing: an administrator sees every account in their place (peers
too), while creating and changing accounts stays with people/staff.py's rules.
"""

import sqlalchemy as sa

from app.models import STAFF_ROLES, Account, Role, utcnow
from app.services.lists.base import Column, Filter, Listing, local_time, place_name, yes_no
from app.services.lists.labels import choices, label
from app.services.people.places import places_inside
from app.services.people.staff import CREATABLE_ROLES


def accounts_inside(actor: Account):
    """Return the WHERE clause of the staff accounts placed inside the actor's place (none if unplaced)."""
    if actor.role not in STAFF_ROLES or actor.scope_kind is None or actor.scope_id is None:
        return sa.false()
    inside = places_inside(actor.scope_kind, actor.scope_id)
    in_area = [
        sa.and_(Account.scope_kind == kind.value, Account.scope_id.in_(ids)) for kind, ids in inside.items()
    ]
    return sa.and_(Account.role.in_([role.value for role in STAFF_ROLES]), sa.or_(*in_area))


def account_named(q: str):
    """Return the WHERE clause of the accounts whose username or display name holds `q`."""
    return sa.or_(
        Account.username.contains(q.lower(), autoescape=True),
        Account.display_name.contains(q, autoescape=True),
    )


def account_filters(statement, filters: dict):
    """Apply the account filters every staff list shares: active (yes/no) and the name search q."""
    if "active" in filters:
        statement = statement.where(Account.is_active.is_(filters["active"] == "yes"))
    if "q" in filters:
        statement = statement.where(account_named(filters["q"]))
    return statement


def scope_shown(account: Account) -> str | None:
    """Show where an account is placed: 街道/乡镇 昱中街道."""
    name = place_name(account.scope_kind, account.scope_id)
    return f"{label('scope_kind', account.scope_kind)} {name}" if name else None


class StaffAccounts(Listing):
    """The staff accounts in the actor's place, for the administrators who create them and the supervisor."""

    name = "staff_accounts"
    title = "工作人员账号"
    roles = frozenset(CREATABLE_ROLES) | {Role.supervisor}
    model = Account
    columns = (
        Column("id", "编号"),
        Column("username", "账号"),
        Column("display_name", "姓名"),
        Column("role", "角色"),
        Column("scope", "所属地区"),
        Column("active", "状态"),
        Column("locked", "已锁定"),
        Column("last_login_at", "最近登录"),
        Column("created_at", "创建时间"),
    )
    filters = (
        Filter("role", "角色", "choice", choices("role", set(STAFF_ROLES))),
        Filter("active", "状态", "choice", choices("active")),
        Filter("q", "账号/姓名", "text"),
    )
    sorts = {
        "id": Account.id,
        "username": Account.username,
        "last_login": Account.last_login_at,
    }
    default_sort = "id"

    def select(self, actor, filters: dict):
        """Return the staff accounts placed inside the actor's place, filtered."""
        statement = sa.select(Account).where(accounts_inside(actor))
        if "role" in filters:
            statement = statement.where(Account.role == filters["role"])
        return account_filters(statement, filters)

    def rows(self, objs: list, reveal) -> list[dict]:
        """Return the rows, judging locks against one clock reading."""
        now = utcnow()
        return [self.row(obj, reveal, now) for obj in objs]

    def row(self, obj: Account, reveal, now=None) -> dict:
        """Return one account as shown (never its password hash or second-factor secret)."""
        now = now or utcnow()
        active = "yes" if obj.is_active else "no"
        return {
            "id": obj.id,
            "username": obj.username,
            "display_name": obj.display_name,
            "role": label("role", obj.role),
            "role_code": obj.role,
            "scope": scope_shown(obj),
            "active": label("active", active),
            "active_code": active,
            "locked": yes_no(obj.locked_until is not None and obj.locked_until > now),
            "last_login_at": local_time(obj.last_login_at),
            "created_at": local_time(obj.created_at),
        }


LISTING = StaffAccounts()
