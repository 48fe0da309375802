"""A record's outcome pushed to its person: a registration accepted, a certificate expiring, an application.

The records wings (registrations, and later policies and notices) enqueue the task
`push.notify_record(resident_id, subject, object_key, result, note)` after the commit that decided
the outcome; this writes one `record_update` push (unique per person and `object_key`, so a
retried task or a repeated decision sends once) and enqueues its send.
"""

from app.extensions import db
from app.models import Application, Job, utcnow
from app.services.push.makers import PushItem, make_pushes
from app.services.push.templates import template

KIND = "record_update"


def notify_record(
    resident_id: int,
    subject: str,
    object_key: str,
    result: str,
    note: str = "",
    page: str = "",
    sms_first: bool = False,
) -> int:
    """Push a record's outcome to the resident (WeChat, else SMS where allowed); return the rows written.

    `subject` names the record (失业登记), `result` is the outcome in a few characters (已受理),
    `note` a short detail (the registration number, a reason), `object_key` identifies this
    outcome of this record ("unemployment_registration:12:accepted"), `page` the mini-program
    page to open (default: the template's); `sms_first` when the record's wing says the person
    must not miss it (a claim approved): SMS before WeChat.
    """
    settings = template(KIND)
    data = settings["builder"](subject, result, utcnow(), note)
    item = PushItem(resident_id, object_key, data, page or settings["page"])
    return make_pushes(KIND, "record", [item], sms_first=sms_first)


def notify_application(application_id: int, status: str) -> int:
    """Push an application's new status to the applicant (WeChat, else SMS where allowed)."""
    application = db.session.get(Application, application_id)
    if application is None:
        return 0
    job = db.session.get(Job, application.job_id)
    settings = template("application_update")
    item = PushItem(
        application.resident_id,
        f"{application.id}:{status}",
        settings["builder"](application, job, status, utcnow()),
        page=f"{settings['page']}?id={application.job_id}",
        fallback=job,
    )
    return make_pushes("application_update", "application", [item])
