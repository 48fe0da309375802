"""Demo registrations (失业/就业登记): accepted, waiting for review or confirmation, rejected, of both kinds.

Entered at the counter by the district's demo administrator for the demo residents whose ledger
status they match (so nothing in the ledger moves); client ids demo-registration-<n> make a
second run add nothing. The one waiting for review carries a small signed form (a PDF).
"""

from datetime import timedelta

import sqlalchemy as sa

from app.common import files
from app.common.clock import local_day
from app.extensions import db
from app.models import (
    PLACE_COLUMN_NAMES,
    Account,
    ContractType,
    EmploymentKind,
    EnteredVia,
    FollowUpChannel,
    Registration,
    RegistrationFollowUp,
    RegistrationKind,
    RegistrationStatus,
    Resident,
    utcnow,
)
from app.services.registrations import numbers
from app.services.registrations.records import open_key
from app.services.registrations.unemployment import add_months, follow_up_months, set_card_number

AUTHOR = "demo-district-admin"
U, E = RegistrationKind.unemployment, RegistrationKind.employment
S = RegistrationStatus
# (resident name, kind, outcome, the form's fields)
DEMO_REGISTRATIONS = (
    (
        "张秀英",
        U,
        S.accepted,
        {"reason_for_leaving": "企业关停", "wanted_work": "保洁、茶叶分拣", "card": "3410022024000318"},
    ),
    ("李强", U, S.submitted, {"reason_for_leaving": "合同到期", "wanted_work": "电商客服"}),
    (
        "杨军",
        U,
        S.rejected,
        {"reason_for_leaving": "个人原因", "review_note": "离职证明与填报日期不符，请到站核对"},
    ),
    ("陈静", E, S.accepted, {"employer_name": "黄山演示茶业有限公司", "kind": EmploymentKind.employed}),
    ("刘洋", E, S.pending_confirmation, {"employer_name": None, "kind": EmploymentKind.flexible}),
)
SIGNED_FORM = b"%PDF-1.4\n% demo signed form (\xe7\x99\xbb\xe8\xae\xb0\xe8\xa1\xa8)\n%%EOF\n"


def _fill(row: Registration, kind: RegistrationKind, fields: dict, today) -> None:
    """Set the form's fields of one kind."""
    if kind == U:
        row.reason_for_leaving, row.wanted_work = fields["reason_for_leaving"], fields.get("wanted_work")
        row.left_on, row.wants_training = today - timedelta(days=40), True
        if fields.get("card"):
            set_card_number(row, fields["card"])
        return
    row.employment_kind = fields["kind"].value
    row.employer_name = fields["employer_name"]
    row.contract_type = (
        ContractType.fixed_term if fields["kind"] == EmploymentKind.employed else ContractType.none
    ).value
    row.started_on = today - timedelta(days=60)
    row.work_description = "茶叶加工" if fields["kind"] == EmploymentKind.employed else "网约车司机"


def demo_registrations() -> int:
    """Add the demo registrations that are missing; return how many were added (does not commit)."""
    author = db.session.scalar(sa.select(Account).where(Account.username == AUTHOR))
    if author is None:
        return 0
    today, now, added = local_day(), utcnow(), 0
    for number, (name, kind, outcome, fields) in enumerate(DEMO_REGISTRATIONS, start=1):
        client_id = f"demo-registration-{number}"
        known = sa.select(Registration.id).where(
            Registration.author_id == author.id, Registration.client_id == client_id
        )
        resident = db.session.scalar(sa.select(Resident).where(Resident.name == name).order_by(Resident.id))
        if resident is None or resident.community_id is None or db.session.scalar(known) is not None:
            continue
        row = Registration(
            kind=kind.value,
            status=outcome.value,
            resident_id=resident.id,
            author_id=author.id,
            client_id=client_id,
            entered_via=EnteredVia.staff.value,
            open_key=open_key(resident.id, kind) if outcome != S.rejected else None,
            **{column: getattr(resident, column) for column in PLACE_COLUMN_NAMES},
        )
        _fill(row, kind, fields, today)
        if outcome != S.pending_confirmation:
            row.confirmed_at = row.submitted_at = now
            row.confirmed_by = "resident"
        if outcome == S.submitted:
            row.confirmed_by = "signed_form"
            row.form_storage_name = files.store("registrations", SIGNED_FORM, files.PDF)
            row.form_content_type, row.form_name = files.PDF.content_type, f"{name}失业登记表.pdf"
        if outcome in (S.accepted, S.rejected):
            row.reviewed_at, row.reviewed_by_id = now, author.id
            row.review_note = fields.get("review_note")
        if outcome == S.accepted:
            row.number = numbers.next_number(kind, resident.district_id, today)
            row.accepted_on = today - timedelta(days=30)
            if kind == U:
                row.valid_until = add_months(today, follow_up_months()) - timedelta(days=1)
        db.session.add(row)
        db.session.flush()
        if outcome == S.accepted and kind == U:
            db.session.add(
                RegistrationFollowUp(
                    registration_id=row.id,
                    author_id=author.id,
                    client_id=f"{client_id}-follow-up",
                    channel=FollowUpChannel.phone.value,
                    note="电话回访：仍在求职",
                    valid_until=row.valid_until,
                )
            )
        added += 1
    return added
