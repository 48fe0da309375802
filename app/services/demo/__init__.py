"""Demo data for the embedded default (`flask demo-data`, `flask dev-setup`): every wing's records in 屯溪区.

Above the wings: it imports from each of them, and nothing imports it but the command line.
May import: every wing (people, jobs, stations, grid, push). One module per kind of record:
people (staff, residents, the app users' accounts), employers (and their jobs), stations, grid
(households); and for the console, the months of activity `flask dev-setup` adds: dates (the
window they lie in), jobs (jobs in every state, applications, reports), ledger (the month's
changes), visits, check_ins, pushes, history (ledger snapshots), employer_visits (employers met
in the field), console (the admins' second factor) and policies (the six illustrative policies,
their people and claims at every stage); registrations (失业/就业登记) and an upcoming live
job fair (live_fair: 直播带岗) come with the demo data. This one puts them together and sets the
demo password.
"""

import functools

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import Account
from app.services.demo.certifications import demo_certifications
from app.services.demo.check_ins import demo_check_ins
from app.services.demo.compliance import demo_compliance
from app.services.demo.consents import demo_consents
from app.services.demo.console import demo_second_factors
from app.services.demo.demonstration import demo_demonstration
from app.services.demo.employer_visits import demo_employer_visits
from app.services.demo.employers import DEMO_EMPLOYERS, demo_credit_code, demo_employers
from app.services.demo.grid import DEMO_COMMUNITIES, DEMO_HOUSEHOLDS, demo_households
from app.services.demo.history import demo_snapshots
from app.services.demo.jobs import demo_applications, demo_other_jobs, demo_pending_employer, demo_reports
from app.services.demo.ledger import demo_month_changes
from app.services.demo.live_fair import demo_live_fair
from app.services.demo.notices import demo_notices
from app.services.demo.operators import demo_operators
from app.services.demo.people import (
    DEMO_RESIDENTS,
    DEMO_STAFF,
    demo_app_users,
    demo_id_number,
    demo_residents,
    demo_staff,
)
from app.services.demo.placements import demo_placements
from app.services.demo.policies import create_demo_policies
from app.services.demo.pushes import demo_pushes
from app.services.demo.registrations import demo_registrations
from app.services.demo.stations import DEMO_STATIONS, demo_stations
from app.services.demo.supervision import demo_supervision
from app.services.demo.training import demo_training
from app.services.demo.visits import demo_visits
from app.services.jobs.search import geo_index
from app.services.people import audit, place_import
from app.services.people.accounts import check_new_password, hash_password

__all__ = [
    "DEMO_COMMUNITIES",
    "DEMO_EMPLOYERS",
    "DEMO_HOUSEHOLDS",
    "DEMO_RESIDENTS",
    "DEMO_STAFF",
    "DEMO_STATIONS",
    "create_demo_activity",
    "create_demo_data",
    "demo_credit_code",
    "demo_id_number",
    "set_demo_passwords",
]


def create_demo_data(password: str) -> dict:
    """Create the demo communities, staff, residents, employers, stations and households (idempotent)."""
    report = place_import.import_communities(DEMO_COMMUNITIES.read_text(encoding="utf-8"))
    check_new_password(password, field="DEMO_PASSWORD")
    hashed = functools.cache(lambda: hash_password(password))  # hashed only if an account is new
    staff = []
    for username, role, kind, code, display_name in DEMO_STAFF:
        demo_staff(username, role, kind, code, display_name, hashed)
        staff.append({"username": username, "role": role, "scope": f"{kind} {code}"})
    residents = demo_residents()
    employers = demo_employers()
    stations = demo_stations(current_app.config["DEMO_STATION_HOURS"] == "always")
    grid = demo_households(hashed)
    certifications = demo_certifications()
    registrations = demo_registrations()
    live_fairs = demo_live_fair()  # after the stations and the employers' published jobs
    db.session.commit()
    placements = demo_placements()  # after the registrations: one of them is a placement too
    notices = demo_notices()  # the real workflow, which commits: after the staff exist
    geo_index.rebuild()
    return {
        "communities": report.as_dict(),
        "staff": staff,
        "residents": residents,
        "employers": employers,
        "stations": stations,
        "households": grid["households"],
        "grid_workers": grid["grid_workers"],
        "certifications": certifications,
        "registrations": registrations,
        "placements": placements,
        "notices": notices,
        "live_fairs": live_fairs,
    }


def create_demo_activity(totp_secret: str) -> dict:
    """Fill every console dashboard with months of demo activity, and enrol the admins' second factor.

    After `create_demo_data`. Each part adds only what is missing from a window ending today
    (demo/dates.py), so a second run the same day adds nothing, and a start next month adds
    that month. Returns what was added, and who signs in with `totp_secret`.
    """
    users = demo_app_users()
    added = {
        "app_users": len(users),
        "consents": demo_consents(users),
        "jobs": demo_other_jobs(),
        "employers_to_verify": demo_pending_employer(),
        "applications": demo_applications(users),
        "ledger_changes": demo_month_changes(users),
        "visits": demo_visits(),
        "check_ins": demo_check_ins(users),
        "training": demo_training(),  # a staff training attended, a planned visit
    }
    added["pushes"] = demo_pushes(users)
    db.session.commit()
    added["job_reports"] = demo_reports(users)  # the real service, which commits
    added["employer_visits"] = demo_employer_visits()  # the real services, which commit
    # The six illustrative policies (示例), the people they find and claims at every stage: the
    # real catalogue, matching and review steps, which commit.
    added.update(create_demo_policies())
    added["snapshots"] = demo_snapshots()  # after the month's changes and visits it counts
    db.session.commit()
    # The programme (issue 22): operators and filed circles first, then what runs on them.
    added["operators"] = demo_operators()
    added["compliance"] = demo_compliance()
    added["supervision"] = demo_supervision()
    added["demonstration"] = demo_demonstration()
    accounts = demo_second_factors(totp_secret)
    return {"added": added, "second_factor": {"totp_secret": totp_secret, "accounts": accounts}}


def set_demo_passwords(password: str) -> int:
    """Give every demo staff account `password` and lift its lockout; return how many accounts.

    Run on every development start, so the password the banner prints is the one that works
    (DEMO_PASSWORD may change between starts). One hash for all: one scrypt, not one each.
    """
    check_new_password(password, field="DEMO_PASSWORD")
    demo_staff = sa.and_(Account.username.like("demo-%"), Account.password_hash.is_not(None))
    changed = db.session.execute(
        sa.update(Account)
        .where(demo_staff)
        .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
    ).rowcount
    audit.commit(
        "staff.update", actor_label="cli", object_type="account", detail={"via": "dev-setup", "demo": changed}
    )
    return changed
