"""The demo policies' people: who qualifies, who misses by one condition, whom an employer hired.

In 昱中街道演示社区二, each with the ledger records their facts rest on, written as the demo's
other records are (demo/registrations.py, demo/certifications.py): certified key groups (a
certification decided by the district's demo admin) and accepted registrations (失业登记, or
就业登记 as flexible, self-employed or at the demo's housekeeping company). Found by ID number and
client ids demo-policy-<kind>-<n>, so a second run adds nothing.
"""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from app.common.clock import local_day
from app.common.crypto import lookup_hash
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    Certification,
    CertificationStatus,
    ContractType,
    Employer,
    EmploymentKind,
    EnteredVia,
    KeyGroup,
    Registration,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    StatusSource,
    utcnow,
)
from app.services.demo.dates import ledger_start
from app.services.demo.people import demo_id_number
from app.services.people import places
from app.services.people.personal_data import set_id_number, set_phone
from app.services.people.residents import set_community
from app.services.people.status import add_key_group, record_status
from app.services.registrations import numbers
from app.services.registrations.records import open_key
from app.services.registrations.unemployment import add_months, follow_up_months

COMMUNITY = "341002002002"  # 昱中街道演示社区二 (昱中 township, 城中 circle)


@dataclass(frozen=True)
class Person:
    """One demo person of the policies: status, certified key groups, the registration in effect."""

    name: str
    birth: str
    sequence: str
    status: str
    groups: tuple = ()  # certified key groups
    graduated_years_ago: int | None = None  # a college graduate's graduation year, back from this year
    registration: tuple | None = (
        None  # ("unemployment",) or ("employment", kind, days since started, hired here)
    )
    why: str = ""


U = ("unemployment",)
PEOPLE = (
    Person(
        "周敏",
        "20030415",
        "101",
        "unemployed_registered",
        ("college_graduate",),
        0,
        U,
        "符合一次性求职创业补贴",
    ),
    Person("吴磊", "20020822", "112", "unemployed", ("college_graduate",), 1, None, "差一项：未办理失业登记"),
    Person(
        "郑丽",
        "19800310",
        "123",
        "flexible",
        ("hard_to_employ",),
        None,
        ("employment", "flexible", 120, False),
        "符合灵活就业社会保险补贴",
    ),
    Person(
        "孙浩",
        "19850612",
        "134",
        "flexible",
        (),
        None,
        ("employment", "flexible", 100, False),
        "差一项：重点群体",
    ),
    Person(
        "马超",
        "19900118",
        "145",
        "employed",
        ("veteran",),
        None,
        ("employment", "self_employed", 200, False),
        "符合一次性创业补贴",
    ),
    Person(
        "何静",
        "19930927",
        "156",
        "employed",
        ("returning_migrant",),
        None,
        ("employment", "self_employed", 90, False),
        "差一项：经营未满 6 个月",
    ),
    *(
        Person(name, birth, sequence, "unemployed", ("migrant_worker",), why="符合职业技能培训补贴")
        for name, birth, sequence in (
            ("林峰", "19860203", "167"),
            ("黄丹", "19880511", "178"),
            ("许亮", "19790730", "189"),
            ("冯霞", "19920214", "190"),
            ("曹宇", "19870906", "201"),
            ("邓洁", "19950318", "212"),
            ("彭涛", "19830121", "223"),
        )
    ),
    Person(
        "董梅",
        "19780505",
        "234",
        "employed",
        ("hard_to_employ",),
        None,
        ("employment", "employed", 60, True),
        "用人单位吸纳的重点群体人员",
    ),
    Person(
        "袁刚",
        "19820808",
        "245",
        "employed",
        ("disabled",),
        None,
        ("employment", "employed", 45, True),
        "用人单位吸纳的重点群体人员",
    ),
)


def _certify(
    resident: Resident, group: str, author: Account, number: int, person: Person, today: date
) -> None:
    """Record a certified key group (a certification with its reviewer), as a reviewer would have."""
    year = today.year - person.graduated_years_ago if person.graduated_years_ago is not None else None
    row = Certification(
        resident_id=resident.id,
        key_group=group,
        graduation_year=year if group == KeyGroup.college_graduate else None,
        status=CertificationStatus.certified.value,
        source=StatusSource.staff.value,
        author_id=author.id,
        client_id=f"demo-policy-certification-{number}",
        reviewer_id=author.id,
        decided_at=utcnow(),
        valid_from=today - timedelta(days=200),
        **{column: getattr(resident, column) for column in PLACE_COLUMN_NAMES},
    )
    db.session.add(row)
    db.session.flush()
    add_key_group(resident, KeyGroup(group), StatusSource.staff, author, certification=row)


def _register(
    resident: Resident, person: Person, author: Account, number: int, employer, today: date
) -> None:
    """Record the accepted registration the person's facts rest on (失业登记 or 就业登记)."""
    kind = person.registration[0]
    row = Registration(
        kind=kind,
        status=RegistrationStatus.accepted.value,
        resident_id=resident.id,
        author_id=author.id,
        client_id=f"demo-policy-registration-{number}",
        entered_via=EnteredVia.staff.value,
        open_key=open_key(resident.id, kind),
        confirmed_at=utcnow(),
        confirmed_by="resident",
        submitted_at=utcnow(),
        reviewed_at=utcnow(),
        reviewed_by_id=author.id,
        number=numbers.next_number(kind, resident.district_id, today),
        **{column: getattr(resident, column) for column in PLACE_COLUMN_NAMES},
    )
    if kind == RegistrationKind.unemployment:
        row.reason_for_leaving, row.left_on = "毕业未就业", today - timedelta(days=50)
        row.accepted_on = today - timedelta(days=30)
        row.valid_until = add_months(today, follow_up_months()) - timedelta(days=1)
    else:
        _, employment_kind, days, hired_here = person.registration
        row.employment_kind = employment_kind
        row.started_on = row.accepted_on = today - timedelta(days=days)
        row.contract_type = (
            ContractType.fixed_term if employment_kind == EmploymentKind.employed else ContractType.none
        ).value
        row.work_description = {"flexible": "网约配送", "self_employed": "个体经营（茶叶零售）"}.get(
            employment_kind, "家政服务"
        )
        if hired_here and employer is not None:
            row.employer_id, row.employer_name, row.employer_uscc = (
                employer.id,
                employer.name,
                employer.credit_code,
            )
    db.session.add(row)


def demo_policy_people(author: Account, employer: Employer | None) -> tuple[dict[str, int], int]:
    """Make the policies' demo people that are missing; return their ids by name and how many are new."""
    today, ids, added = local_day(), {}, 0
    community = places.community_by_code(COMMUNITY)
    for number, person in enumerate(PEOPLE, start=1):
        id_number = demo_id_number(person.birth, person.sequence + "1")
        resident = db.session.scalar(
            sa.select(Resident).where(Resident.id_number_hmac == lookup_hash(id_number, "id_number"))
        )
        if resident is None:
            resident = Resident(name=person.name)
            db.session.add(resident)
            set_id_number(resident, id_number)
            set_phone(resident, f"1390002{number:04d}")
            set_community(resident, community)
            record_status(
                resident, person.status, StatusSource.staff, note="demo data", occurred_at=ledger_start()
            )
            db.session.flush()
            for offset, group in enumerate(person.groups):
                _certify(resident, group, author, number * 10 + offset, person, today)
            if person.registration is not None:
                _register(resident, person, author, number, employer, today)
            added += 1
        ids[person.name] = resident.id
    db.session.commit()
    return ids, added
