"""Demo people: staff accounts and residents of the ledger, with valid (fictional) ID numbers."""

import sqlalchemy as sa

from app.common.crypto import lookup_hash
from app.common.identity import id_check_character
from app.extensions import db
from app.models import Account, Community, Household, Resident, Role, StatusSource
from app.services.demo.dates import ledger_start
from app.services.people import places
from app.services.people.personal_data import set_id_number, set_phone
from app.services.people.residents import set_community
from app.services.people.status import record_status, set_key_groups

# (username, role, scope kind, scope code, display name): one account of every console role.
# The supervisor (监理) watches 屯溪区, where all the demo data lies: the console shows it the
# district's figures and refuses the city level above it (scoping at work).
DEMO_STAFF = (
    ("demo-city-admin", "city_admin", "city", "341000000000", "演示 市人社局管理员"),
    ("demo-district-admin", "district_admin", "district", "341002000000", "演示 屯溪区人社局管理员"),
    ("demo-township-admin", "township_admin", "township", "341002002000", "演示 昱中街道人社管理员"),
    ("demo-supervisor", "supervisor", "district", "341002000000", "演示 屯溪区监理"),
    ("demo-operator", "operator", "circle", "341002-chengzhong", "演示 城中就业圈运营"),
    ("demo-grid-worker", "grid_worker", "community", "341002002001", "演示 网格员"),
    ("demo-station-staff", "station_staff", "circle", "341002-chengzhong", "演示 城中服务站"),
)

# (name, birth date, sequence, phone, community code, status, key groups)
DEMO_RESIDENTS = (
    ("王芳", "19880312", "024", "13900000001", "341002002001", "employed", []),
    ("李强", "19950721", "035", "13900000002", "341002002001", "unemployed", ["college_graduate"]),
    (
        "张秀英",
        "19720105",
        "046",
        "13900000003",
        "341002002001",
        "unemployed_registered",
        ["hard_to_employ", "registered_unemployed"],
    ),
    ("刘洋", "19990909", "057", "13900000004", "341002004001", "flexible", ["flexible_worker"]),
    ("陈静", "19830618", "068", "13900000005", "341002004001", "employed", []),
    ("杨军", "19790227", "079", "13900000006", "341002001001", "unemployed", ["veteran"]),
)


def demo_staff(username: str, role: str, kind: str, code: str, display_name: str, hashed) -> Account:
    """Return a demo staff account; made if missing with `hashed()`, the demo password's one hash.

    Not through staff.create_admin: that hashes once per account (0.1 s of scrypt each, 2 s for
    the demo's 21 on a first `make run`).
    """
    account = db.session.scalar(sa.select(Account).where(Account.username == username))
    if account is None:
        place = places.find_place(kind, code)
        account = Account(username=username, role=role, scope_kind=kind, scope_id=place.id)
        account.display_name, account.password_hash, account.is_active = display_name, hashed(), True
        db.session.add(account)
        db.session.flush()
    return account


def demo_id_number(birth: str, sequence: str) -> str:
    """Build a valid 屯溪区 ID-card number for a demo resident."""
    first17 = f"341002{birth}{sequence}"
    first17 = first17[:17]
    return first17 + id_check_character(first17)


def demo_residents() -> list[dict]:
    """Create the demo residents (skipping those whose ID number is known); return who they are."""
    residents = []
    for name, birth, sequence, phone, community_code, status, groups in DEMO_RESIDENTS:
        id_number = demo_id_number(birth, sequence + "1")
        resident = db.session.scalar(
            sa.select(Resident).where(Resident.id_number_hmac == lookup_hash(id_number, "id_number"))
        )
        if resident is None:
            resident = Resident(name=name)
            db.session.add(resident)
            set_id_number(resident, id_number)
            set_phone(resident, phone)
            set_community(resident, places.community_by_code(community_code))
            set_key_groups(resident, groups)
            # Dated when the demo ledger was taken up, months ago: this month's flows (new
            # unemployed, re-employed) count only what changed since, as in a real ledger.
            record_status(resident, status, StatusSource.staff, note="demo data", occurred_at=ledger_start())
            db.session.flush()
        residents.append({"id": resident.id, "name": name, "community": community_code})
    return residents


# Household members who use the mini-program, by household key suffix and given name: they
# check in at stations, apply for jobs, report a job and get pushes. Their WeChat openid is
# demo-resident-<community code>-<suffix>, so the fake WeChat logs in as any of them.
DEMO_APP_USERS = {"01": "浩然", "02": "丽娟", "03": "桂芳"}


def demo_app_users() -> list[tuple[Account, Resident]]:
    """Give the demo app users their resident accounts (made if missing); return them, by community."""
    rows = db.session.execute(
        sa.select(Resident, Household.key, Community.code)
        .join(Household, Household.id == Resident.household_id)
        .join(Community, Community.id == Household.community_id)
        .where(Household.key.in_([f"DEMO-{suffix}" for suffix in DEMO_APP_USERS]))
        .order_by(Community.code, Household.key)
    ).all()
    accounts = {
        account.openid: account
        for account in db.session.scalars(sa.select(Account).where(Account.openid.like("demo-resident-%")))
    }
    users = []
    for resident, key, code in rows:
        suffix = key.removeprefix("DEMO-")
        if not (resident.name or "").endswith(DEMO_APP_USERS[suffix]):
            continue
        if resident.account_id is not None:  # theirs already (made here, or a login that bound them)
            users.append((db.session.get(Account, resident.account_id), resident))
            continue
        openid = f"demo-resident-{code}-{suffix}"
        account = accounts.get(openid)
        if account is None:
            account = Account(role=Role.resident.value, openid=openid, display_name=resident.name)
            db.session.add(account)
            db.session.flush()
        resident.account_id = account.id
        users.append((account, resident))
    db.session.flush()
    return users
