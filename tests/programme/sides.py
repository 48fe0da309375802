"""The programme wing's objects of one side of the authorization matrix (tests/support.py build_side).

Each part of the wing adds its objects in its own function and returns their ids by URL argument
name; side B's are what every role outside side B must be refused (404 or 403).
"""


def operators_side(side: str, community, make_staff) -> dict:
    """Operators, contracts and circle filings of the side's district and circle.

    The side's operator has a contract for the side's circle only (a district-wide one would
    reach side A too); its district's admin defines a draft circle covering the side's community.
    """
    from datetime import date

    from app.common.clock import local_day
    from app.extensions import db
    from app.models import Circle
    from app.services.programme import circle_filings, contracts, operators
    from tests.conftest import make_credit_code

    circle = db.session.get(Circle, community.circle_id)
    circle_code = f"{circle.district.short_code}-{circle.key}"
    city = make_staff("city_admin", "city", "341000000000")
    operator, _ = operators.create_operator(
        city, {"name": f"{side}合同运营机构", "credit_code": make_credit_code()}, None
    )
    year = local_day().year
    contract, _ = contracts.create_contract(
        city,
        {
            "operator_id": operator["id"],
            "circle": circle_code,
            "starts_on": date(year, 1, 1),
            "ends_on": date(year, 12, 31),
        },
        None,
    )
    admin = make_staff("district_admin", "district", circle.district.code)
    filing, _ = circle_filings.create_filing(
        admin,
        {"name": f"{side}备案圈", "key": f"side-{side.lower()}", "community_codes": [community.code]},
        None,
    )
    return {
        "operator_id": operator["id"],
        "contract_id": contract["id"],
        "circle_filing_id": filing["id"],
        "circle_id": circle.id,
        "community_code": community.code,
    }


def compliance_side(side: str, community, make_staff) -> dict:
    """Compliance gaps and populations of the side's places."""
    from app.extensions import db
    from app.models import ComplianceGap, ComplianceRule
    from app.services.people.places import place_columns

    where = place_columns(community)
    gap = ComplianceGap(
        rule=ComplianceRule.community_officer.value,
        place_kind="community",
        place_id=community.id,
        circle_id=where["circle_id"],
        district_id=where["district_id"],
        city_id=where["city_id"],
        detail={"full_time": 0, "part_time": 0, "unknown": 0},
        open_key=f"community_officer:community:{community.id}:-",
    )
    db.session.add(gap)
    db.session.commit()
    return {"compliance_gap_id": gap.id}


def supervision_side(side: str, community, make_staff) -> dict:
    """Spot-check samples, calls, findings and progress reports of the side's places.

    The side's circle gets an operator of its own, with last month's door visit there; the
    district's supervisor draws its sample and records a call that raises a finding. Both sides
    lie in 屯溪区, whose report of a month is one row: side B has last month's, side A the month before.
    """
    from datetime import timedelta

    from app.common.clock import month_start
    from app.extensions import db
    from app.models import Circle, Operator, OperatorContract
    from app.services.people.places import find_place
    from app.services.programme import progress_reports, spot_check_calls, spot_checks
    from tests.conftest import make_credit_code
    from tests.programme.supervision_support import door_visit, household_with_phone, last_month

    circle = db.session.get(Circle, community.circle_id)
    operator = Operator(
        name=f"{side}运营机构", credit_code=make_credit_code(), city_id=circle.district.city_id
    )
    db.session.add(operator)
    db.session.flush()
    db.session.add(
        OperatorContract(
            operator_id=operator.id,
            district_id=circle.district_id,
            circle_id=circle.id,
            starts_on=last_month(),
            ends_on=last_month().replace(year=last_month().year + 2),
        )
    )
    db.session.commit()
    circle_code = f"{circle.district.short_code}-{circle.key}"
    worker = make_staff("grid_worker", "circle", circle_code)
    door_visit(
        household_with_phone(community.code, f"1360000{ord(side):04d}", f"{side}户主"),
        worker.id,
        last_month(),
    )
    district_code = find_place("district", community.code[:6] + "000000").code
    supervisor = make_staff("supervisor", "district", district_code)
    values = {"month": last_month(), "operator_id": operator.id, "kind": "visit", "size": 1}
    sample, _ = spot_checks.draw(supervisor, values, None)
    call = sample["calls"][0]
    answer = {"reached": True, "visit_confirmed": False, "data_correct": True, "satisfaction": 3}
    recorded = spot_check_calls.record_call(supervisor, call["id"], answer, None)
    ids = {
        "spot_check_sample_id": sample["id"],
        "spot_check_id": call["id"],
        "finding_id": recorded["finding_id"],
    }
    # Both sides lie in 屯溪区, whose report of a month is one row: each side its own month.
    month = last_month() if side == "B" else month_start(last_month() - timedelta(days=1))
    admin = make_staff("district_admin", "district", district_code)
    report, _ = progress_reports.create(admin, {"month": month}, None)
    ids["progress_report_id"] = report["id"]
    return ids


def demonstration_side(side: str, community, make_staff) -> dict:
    """Demonstration rankings of the side's places."""
    from app.extensions import db
    from app.models import DemonstrationRanking, DemonstrationScore

    # Both sides lie in 屯溪区: a year each keeps the (year, district) key apart.
    ranking = DemonstrationRanking(
        year=2023 if side == "A" else 2024,
        place_kind="district",
        place_id=community.township.district_id,
        weights={"fake_jobs": 5.0},
    )
    db.session.add(ranking)
    db.session.flush()
    db.session.add(
        DemonstrationScore(
            ranking_id=ranking.id,
            community_id=community.id,
            district_id=community.township.district_id,
            position=1,
            total=100.0,
            scores={
                "fake_jobs": {
                    "value": 0,
                    "score": 100.0,
                    "weighted": 100.0,
                    "evidence": "虚假岗位举报查实0起",
                }
            },
        )
    )
    db.session.commit()
    return {"demonstration_ranking_id": ranking.id}


def programme_side(side: str, community, make_staff) -> dict:
    """Return every programme part's ids for the side, by URL argument name."""
    ids: dict = {}
    for part in (operators_side, compliance_side, supervision_side, demonstration_side):
        ids.update(part(side, community, make_staff))
    return ids
