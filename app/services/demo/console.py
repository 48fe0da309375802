"""Demo console sign-in: the demo city and district admins' second factor, on a fixed TOTP secret."""

import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Role
from app.services.demo.people import DEMO_STAFF
from app.services.people import audit, second_factor


def demo_second_factors(secret: str) -> list[dict]:
    """Enrol the demo staff who need a second factor with `secret`, unless enrolled; say who is.

    Once enrolled an account keeps what it has (someone may have enrolled another secret in the
    console): `flask dev-setup` runs at every start and changes nothing the second time. The
    recovery codes are shown on the run that enrols, as the console shows them once.
    """
    usernames = [row[0] for row in DEMO_STAFF if Role(row[1]) in second_factor.REQUIRED_ROLES]
    accounts = db.session.scalars(
        sa.select(Account).where(Account.username.in_(usernames)).order_by(Account.username)
    )
    report = []
    for account in accounts:
        codes = []
        if not second_factor.enabled(account):
            codes = second_factor.enrol(account, secret)
            audit.record(
                "console.totp_enrol",
                actor_label="cli",
                object_type="account",
                object_id=account.id,
                detail={"via": "dev-setup", "demo": True},
            )
        report.append({"username": account.username, "enrolled_now": bool(codes), "recovery_codes": codes})
    db.session.commit()
    return report
