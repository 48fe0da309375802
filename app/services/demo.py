"""Demo data for the embedded default: communities, staff accounts and residents in 屯溪区."""

from pathlib import Path

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Resident, StatusSource
from app.services import accounts, places
from app.services.personal_data import id_check_character, lookup_hash
from app.services.residents import record_status, set_community, set_id_number, set_key_groups, set_phone

DEMO_COMMUNITIES = Path(__file__).resolve().parent.parent / "data" / "demo_communities.csv"

# (username, role, scope kind, scope code, display name)
DEMO_STAFF = (
    ("demo-city-admin", "city_admin", "city", "341000000000", "演示 市人社局管理员"),
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


def demo_id_number(birth: str, sequence: str) -> str:
    """Build a valid 屯溪区 ID-card number for a demo resident."""
    first17 = f"341002{birth}{sequence}"
    first17 = first17[:17]
    return first17 + id_check_character(first17)


def create_demo_data(password: str) -> dict:
    """Create the demo communities, staff and residents; safe to run again."""
    report = places.import_communities(DEMO_COMMUNITIES.read_text(encoding="utf-8"))
    staff = []
    for username, role, kind, code, display_name in DEMO_STAFF:
        existing = db.session.scalar(sa.select(Account).where(Account.username == username))
        if existing is None:
            accounts.create_admin(username, password, role, kind, code, display_name)
        staff.append({"username": username, "role": role, "scope": f"{kind} {code}"})
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
            record_status(resident, status, StatusSource.staff, note="demo data")
            db.session.flush()
        residents.append({"id": resident.id, "name": name, "community": community_code})
    db.session.commit()
    return {"communities": report.as_dict(), "staff": staff, "residents": residents}
