"""Who can qualify at all: the batch's prefilter, derived from a rule's conditions on the ledger's tables.

Most rules start with conditions on what the residents table (or a key-group row, a household)
says: a status, an age bound, a key group, a zero-employment household. From each top-level
condition of that shape a SQL clause is derived that every qualifying resident meets (a
necessary condition, never a sufficient one: ages are widened to whole calendar years); the
batch (matching.py) evaluates only the residents these let through, plus whoever holds a
qualified match of the versions weighed, so a lapse is never missed. A condition of any other
shape derives nothing, and a rule with no derivable condition lets everyone through. The facts
and the rule still decide: the prefilter only skips people who provably cannot qualify.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Household, Resident, ResidentKeyGroup
from app.models.policies import PolicyVersion
from app.services.policies import rules


def _var(node) -> str | None:
    """Return the fact a {"var": name} node names, else None."""
    if isinstance(node, dict) and list(node) == ["var"]:
        value = node["var"]
        return value[0] if isinstance(value, list) and value else value if isinstance(value, str) else None
    return None


def _age_clause(operator: str, bound, today: date):
    """Return a birth-date clause every resident whose age satisfies `age <operator> bound` meets."""
    if isinstance(bound, bool) or not isinstance(bound, int):
        return None
    low = {">=": bound, ">": bound + 1}.get(operator)
    high = {"<=": bound, "<": bound - 1}.get(operator)
    if low is not None:  # aged at least `low`: born before 1 January of (this year - low + 1)
        return Resident.birth_date < date(today.year - low + 1, 1, 1)
    if high is not None:  # aged at most `high`: born on or after 1 January of (this year - high - 1)
        return Resident.birth_date >= date(today.year - high - 1, 1, 1)
    return None


def _values(condition, fact: str, literal: bool) -> set | None:
    """Return the values `fact` must take for `condition` to hold, or None when it says something else.

    With `literal`, the condition is `fact == "x"` or `fact in ["x", …]` (a status); without, it
    is `"x" in fact` (a key group, certified or declared); an "or" of such conditions unites them.
    """
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    ((operator, args),) = condition.items()
    if operator == "or" and isinstance(args, list) and args:
        parts = [_values(part, fact, literal) for part in args]
        return None if any(part is None for part in parts) else set().union(*parts)
    if not isinstance(args, list) or len(args) != 2:
        return None
    left, right = args
    names = (fact,) if literal else (fact, f"declared_{fact}")
    if literal and operator == "==":
        value = right if _var(left) in names else left if _var(right) in names else None
        return {value} if isinstance(value, str) else None
    if literal and operator == "in" and _var(left) in names and isinstance(right, list):
        return set(right) if all(isinstance(value, str) for value in right) else None
    if not literal and operator == "in" and _var(right) in names and isinstance(left, str):
        return {left}
    return None


def clause(condition, today: date):
    """Return a SQL clause every resident meeting `condition` meets, or None when none can be derived.

    Each clause is an equality, a range or a semi-join (IN a subquery) that the database answers
    from an index; an "or" mixing facts derives nothing (MariaDB would run its subqueries per row).
    """
    statuses = _values(condition, "employment_status", literal=True)
    if statuses is not None:
        return Resident.employment_status.in_(sorted(statuses))
    groups = _values(condition, "key_groups", literal=False)
    if groups is not None:
        return Resident.id.in_(
            sa.select(ResidentKeyGroup.resident_id).where(ResidentKeyGroup.key_group.in_(sorted(groups)))
        )
    if not isinstance(condition, dict) or len(condition) != 1:
        return None
    ((operator, args),) = condition.items()
    if operator == "and" and isinstance(args, list):
        parts = [part for part in (clause(arg, today) for arg in args) if part is not None]
        return sa.and_(*parts) if parts else None
    zero = Resident.household_id.in_(
        sa.select(Household.id).where(Household.zero_employment_since.is_not(None))
    )
    if operator in ("var", "!!"):
        node = condition if operator == "var" else args[0] if isinstance(args, list) and args else args
        return zero if _var(node) == "zero_employment_household" else None
    if not isinstance(args, list) or len(args) != 2:
        return None
    left, right = args
    if operator in ("<", "<=", ">", ">=") and _var(left) == "age":
        return _age_clause(operator, right, today)
    if operator in ("<", "<=", ">", ">=") and _var(right) == "age":
        return _age_clause({"<": ">", "<=": ">=", ">": "<", ">=": "<="}[operator], left, today)
    if (
        operator == "=="
        and "zero_employment_household" in (_var(left), _var(right))
        and True in (left, right)
    ):
        return zero
    return None


def prefilter(versions: list[PolicyVersion], today: date) -> list | None:
    """Return one clause per version letting through everyone who could qualify; None: no restriction."""
    clauses = []
    for version in versions:
        parts = [
            part for part in (clause(c, today) for c in rules.conditions(version.rule)) if part is not None
        ]
        if not parts:
            return None
        clauses.append(sa.and_(*parts))
    return clauses


def resident_ids(versions: list[PolicyVersion], today: date) -> set[int] | None:
    """Return the ids of the residents who could qualify for any of `versions`; None: everyone could."""
    clauses = prefilter(versions, today)
    if clauses is None:
        return None
    ids: set[int] = set()
    for where in clauses:  # one query each: an OR of semi-joins would be read row by row
        ids.update(db.session.scalars(sa.select(Resident.id).where(where)))
    return ids
