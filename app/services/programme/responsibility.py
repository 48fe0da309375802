"""Which operator answers for a circle on a day, and which circles an operator answers for.

A contract for the circle itself wins over a district-wide contract, and a contract over the
operator named on the circle (by its accepted filing): a contract is what the money follows.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, OperatorContract


def _in_force(day: date):
    """Return the clause of contracts in force on `day`.

    By the period alone, not the status: ending a contract early moves its last day, so the days
    it did run still see its operator (past figures stay with whoever did the work).
    """
    return sa.and_(OperatorContract.starts_on <= day, OperatorContract.ends_on >= day)


def operator_of_circle(circle_id: int, day: date) -> int | None:
    """Return the id of the operator answering for the circle on `day`, or None."""
    circle = db.session.get(Circle, circle_id)
    if circle is None:
        return None
    contracts = db.session.execute(
        sa.select(OperatorContract.operator_id, OperatorContract.circle_id)
        .where(_in_force(day), OperatorContract.district_id == circle.district_id)
        .where(sa.or_(OperatorContract.circle_id == circle_id, OperatorContract.circle_id.is_(None)))
        .order_by(
            OperatorContract.circle_id.is_(None), OperatorContract.starts_on.desc(), OperatorContract.id
        )
    ).first()
    if contracts is not None:
        return contracts.operator_id
    return circle.operator_id


def operators_of_circles(circle_ids, day: date) -> dict[int, int | None]:
    """Return {circle id: operator id or None} for many circles, in two queries."""
    circles = db.session.execute(
        sa.select(Circle.id, Circle.district_id, Circle.operator_id)
        .where(Circle.id.in_(list(circle_ids)))
        .order_by(Circle.id)
    ).all()
    contracts = db.session.execute(
        sa.select(OperatorContract.operator_id, OperatorContract.circle_id, OperatorContract.district_id)
        .where(_in_force(day), OperatorContract.district_id.in_({c.district_id for c in circles}))
        .order_by(OperatorContract.starts_on, OperatorContract.id)
    ).all()
    # Later rows win: the newest contract in force, a circle's own over its district's.
    for_district = {row.district_id: row.operator_id for row in contracts if row.circle_id is None}
    for_circle = {row.circle_id: row.operator_id for row in contracts if row.circle_id is not None}
    return {c.id: for_circle.get(c.id, for_district.get(c.district_id, c.operator_id)) for c in circles}


def circles_of_operator(operator_id: int, day: date) -> list[int]:
    """Return the ids of the active circles the operator answers for on `day`, in id order."""
    circles = db.session.scalars(sa.select(Circle.id).where(Circle.status == "active")).all()
    # At city scale this is tens of circles: one pass over them beats a query per rule.
    return (
        [cid for cid, op in operators_of_circles(circles, day).items() if op == operator_id]
        if circles
        else []
    )
