"""Applications: apply once per job, follow it; the employer moves it on."""

from app.api.json_body import Blueprint
from app.api.schemas.applications import (
    ApplicationInputSchema,
    ApplicationPageSchema,
    ApplicationQuerySchema,
    ApplicationSchema,
    ApplicationStatusSchema,
)
from app.api.schemas.consents import CONSENT_REQUIRED
from app.auth import auth_required, client_ip, current_account
from app.models import Role
from app.services.jobs import applications

URL_PREFIX = ""
blp = Blueprint("applications", __name__, description="Job applications")


@blp.post("/jobs/<int:job_id>/applications")
@auth_required(Role.resident)
@blp.arguments(ApplicationInputSchema)
@blp.response(201, ApplicationSchema)
@blp.alt_response(200, schema=ApplicationSchema, description="Applied before: the first application")
@blp.alt_response(403, **CONSENT_REQUIRED)
def apply(values, job_id):
    """Apply to a live job; applying again returns the first application (200)."""
    application, created = applications.apply(current_account(), job_id, values.get("message"), client_ip())
    return application, 201 if created else 200


@blp.get("/applications")
@auth_required(Role.resident, Role.employer)
@blp.arguments(ApplicationQuerySchema, location="query")
@blp.response(200, ApplicationPageSchema)
def list_applications(args):
    """List my applications (resident), or those to my jobs (employer; ?job_id= for one job)."""
    return applications.list_applications(current_account(), **args)


@blp.get("/applications/<int:application_id>")
@auth_required(Role.resident, Role.employer)
@blp.response(200, ApplicationSchema)
def get_application(application_id):
    """Return one of my applications (as applicant or as employer)."""
    return applications.get_application(current_account(), application_id)


@blp.patch("/applications/<int:application_id>")
@auth_required(Role.resident, Role.employer)
@blp.arguments(ApplicationStatusSchema)
@blp.response(200, ApplicationSchema)
def change_status(args, application_id):
    """Move an application on (employer: viewed → interview → hired | rejected) or withdraw it (applicant)."""
    return applications.change_status(current_account(), application_id, args["status"], client_ip())
