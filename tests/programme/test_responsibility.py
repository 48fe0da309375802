"""Which operator answers for a circle on a day: a circle's contract, its district's, the named operator."""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Circle, OperatorContract
from app.services.programme.responsibility import (
    circles_of_operator,
    operator_of_circle,
    operators_of_circles,
)


def _circle(key: str) -> Circle:
    return db.session.scalars(sa.select(Circle).where(Circle.key == key)).one()


def _contract(operator, circle=None, starts=date(2026, 1, 1), ends=date(2026, 12, 31)):
    district_id = circle.district_id if circle else _circle("chengzhong").district_id
    db.session.add(
        OperatorContract(
            operator_id=operator.id,
            district_id=district_id,
            circle_id=circle.id if circle else None,
            starts_on=starts,
            ends_on=ends,
        )
    )
    db.session.commit()


def test_a_circles_own_contract_beats_its_districts_and_the_named_operator(make_operator):
    named = make_operator(name="圈上登记的机构", circle_key="chengxi")
    db.session.execute(sa.delete(OperatorContract).where(OperatorContract.operator_id == named.id))
    db.session.commit()
    chengzhong, chengxi = _circle("chengzhong"), _circle("chengxi")
    day = date(2026, 6, 15)
    assert operator_of_circle(chengxi.id, day) == named.id  # no contract: the operator on the circle

    district_wide = make_operator(name="全区合同机构")  # names itself on every Tunxi circle
    chengxi.operator_id = named.id
    db.session.commit()
    db.session.execute(sa.delete(OperatorContract).where(OperatorContract.operator_id == district_wide.id))
    _contract(district_wide, starts=date(2026, 1, 1), ends=date(2026, 12, 31))
    assert operator_of_circle(chengxi.id, day) == district_wide.id  # a contract wins over the name

    own = make_operator(name="城中专属机构")
    db.session.execute(sa.delete(OperatorContract).where(OperatorContract.operator_id == own.id))
    _contract(own, chengzhong, starts=date(2026, 6, 1), ends=date(2026, 6, 30))
    assert operator_of_circle(chengzhong.id, day) == own.id
    assert operator_of_circle(chengzhong.id, date(2026, 7, 1)) == district_wide.id  # after its period
    assert operator_of_circle(chengzhong.id, date(2026, 5, 31)) == district_wide.id  # before it
    both = operators_of_circles([chengzhong.id, chengxi.id], day)
    assert both == {chengzhong.id: own.id, chengxi.id: district_wide.id}
    assert circles_of_operator(own.id, day) == [chengzhong.id]
    assert chengxi.id in circles_of_operator(district_wide.id, day)
    assert chengzhong.id not in circles_of_operator(district_wide.id, day)


def test_an_ended_contract_keeps_the_days_it_ran(client, staff_headers, make_operator):
    operator = make_operator(circle_key="chengzhong")
    chengzhong = _circle("chengzhong")
    chengzhong.operator_id = None  # only the contract says who answers
    contract = db.session.scalars(
        sa.select(OperatorContract).where(OperatorContract.operator_id == operator.id)
    ).one()
    contract.starts_on, contract.ends_on = date(2026, 1, 1), date(2026, 12, 31)
    db.session.commit()
    _, tunxi = staff_headers("district_admin", "district", "341002000000")
    ended = client.post(
        f"/api/v1/operator-contracts/{contract.id}/end",
        json={"reason": "服务不达标", "last_day": "2026-09-30"},
        headers=tunxi,
    )
    assert ended.status_code == 200, ended.get_json()
    assert operator_of_circle(chengzhong.id, date(2026, 9, 30)) == operator.id  # its last day
    assert operator_of_circle(chengzhong.id, date(2026, 3, 1)) == operator.id  # months it ran
    assert operator_of_circle(chengzhong.id, date(2026, 10, 1)) is None  # after it: nobody
