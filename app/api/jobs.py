"""Jobs: nearby search, details, the employer's life-cycle calls, review, reports, matching."""

import json

from flask import Response, current_app, request

from app.api.fast_query import fast_query_arguments
from app.api.json_body import Blueprint
from app.api.schemas.jobs import (
    CandidateArgsSchema,
    CandidatePageSchema,
    ContactSchema,
    JobInputSchema,
    JobSchema,
    JobSummarySchema,
    JobUpdateSchema,
    ManagedJobPageSchema,
    ManagedQuerySchema,
    ReportOutSchema,
    ReportSchema,
    ReviewSchema,
    SearchArgsSchema,
    SearchPageSchema,
)
from app.auth import auth_required, client_ip, current_account, optional_account
from app.models import STAFF_ROLES, Role
from app.services.jobs import job_card, matching, posts, reports
from app.services.jobs.search.nearby import SearchPage, SearchQuery, nearby_jobs, search_origin

URL_PREFIX = "/jobs"
blp = Blueprint("jobs", __name__, description="Jobs within 3 km, and their life cycle")


def _json(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def render_summaries(jobs) -> list[bytes]:
    """Render jobs as a search result shows them; the job board keeps these bytes (see create_app)."""
    schema = JobSummarySchema()
    return [_json(schema.dump(job)) for job in jobs]


def _rendered_page(found: SearchPage, tail: dict):
    """Write a page the job board answered: its ready-made jobs, then the rest of SearchPageSchema."""
    items = b",".join(
        b'{"job":' + fragment + b',"distance_m":' + str(round(metres)).encode() + b"}"
        for fragment, metres in found.rendered
    )
    body = b'{"items":[' + items + b"]," + _json(tail)[1:]
    return current_app.response_class(body, mimetype="application/json")


@blp.get("")
@fast_query_arguments(blp, SearchArgsSchema)  # blp.arguments, without webargs for plain queries
@blp.response(200, SearchPageSchema)
def search(args):
    """Find live jobs near a point (default: my home), nearest first; each with distance_m."""
    lat, lng = search_origin(args.get("lat"), args.get("lng"), optional_account)
    query = SearchQuery(
        lat=lat,
        lng=lng,
        **{
            k: args.get(k)
            for k in ("radius_m", "kind", "category", "wage_min", "q", "sort", "page", "per_page")
        },
    )
    found = nearby_jobs(query, rendered=True)
    tail = {
        "page": query.page,
        "per_page": query.per_page,
        "has_more": found.has_more,
        "center": {"lat": lat, "lng": lng},
        "radius_m": query.radius_m,
    }
    if found.rendered is not None:
        return _rendered_page(found, tail)
    items = [{"job": job, "distance_m": round(distance)} for job, distance in found.items]
    return {"items": items, **tail}


@blp.get("/managed")
@auth_required(Role.employer, *STAFF_ROLES)
@blp.arguments(ManagedQuerySchema, location="query")
@blp.response(200, ManagedJobPageSchema)
def managed(args):
    """List my business's jobs (employer) or the jobs in my place (staff; ?status=pending_review)."""
    return posts.list_managed(current_account(), **args)


@blp.get("/<int:job_id>")
@blp.response(200, JobSchema)
def get_job(job_id):
    """Return a job: a live one to anyone; others to their employer and staff in scope."""
    return posts.get_job(optional_account(), job_id)


CARD_DOC = {
    "responses": {
        "200": {
            "description": "The job card: a 750×1000 PNG with the job and a QR code opening it in WeChat",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        },
        "304": {"description": "Not modified (If-None-Match named the card's ETag)"},
        "404": {"description": "No published job with this id (`job_not_found`)"},
        "503": {"description": "No CJK font installed to draw it (`card_font_missing`)"},
    }
}


@blp.get("/<int:job_id>/card.png")
@blp.doc(**CARD_DOC)
def card(job_id):
    """Return a published job's card to share (分享岗位); its QR code opens the job in the mini-program."""
    version, draw = job_card.card_for(job_id)
    headers = {"Cache-Control": "public, max-age=600", "ETag": f'"{version}"'}
    if request.if_none_match.contains(version):
        return Response(status=304, headers=headers)
    return Response(draw(), mimetype="image/png", headers=headers)


@blp.get("/<int:job_id>/contact")
@auth_required(Role.resident)
@blp.response(200, ContactSchema)
def contact(job_id):
    """Return the employer's contact name and phone for a live job (residents only; audited)."""
    return posts.reveal_contact(current_account(), job_id, client_ip()), {"Cache-Control": "no-store"}


@blp.post("")
@auth_required(Role.employer)
@blp.arguments(JobInputSchema)
@blp.response(201, JobSchema)
@blp.alt_response(200, schema=JobSchema, description="Created before with this client_id: the first job")
def create(values):
    """Create a draft job (location defaults to my business's); a client_id makes a retry safe."""
    job, created = posts.create(current_account(), values, client_ip())
    return job, 201 if created else 200


@blp.patch("/<int:job_id>")
@auth_required(Role.employer)
@blp.arguments(JobUpdateSchema)
@blp.response(200, JobSchema)
def update(values, job_id):
    """Edit my job; a published job goes back to review."""
    return posts.update(current_account(), job_id, values, client_ip())


@blp.post("/<int:job_id>/submit")
@auth_required(Role.employer)
@blp.response(200, JobSchema)
def submit(job_id):
    """Send my draft for review (verified employers only)."""
    return posts.submit(current_account(), job_id, client_ip())


@blp.post("/<int:job_id>/review")
@auth_required(*STAFF_ROLES)
@blp.arguments(ReviewSchema)
@blp.response(200, JobSchema)
def review(args, job_id):
    """Approve (publish) or reject a job pending review in my place (operators, station staff)."""
    return posts.review(current_account(), job_id, args["decision"], args.get("reason"), client_ip())


@blp.post("/<int:job_id>/close")
@auth_required(Role.employer)
@blp.response(200, JobSchema)
def close(job_id):
    """Close my job (filled, or no longer offered)."""
    return posts.close(current_account(), job_id, client_ip())


@blp.post("/<int:job_id>/refresh")
@auth_required(Role.employer)
@blp.response(200, JobSchema)
def refresh(job_id):
    """Put my job back on top of "newest" and run it another 30 days (revives an expired one)."""
    return posts.refresh(current_account(), job_id, client_ip())


@blp.post("/<int:job_id>/reports")
@auth_required(Role.resident)
@blp.arguments(ReportSchema)
@blp.response(201, ReportOutSchema)
@blp.alt_response(200, schema=ReportOutSchema, description="Already reported by you: the first report")
def report(args, job_id):
    """Report a job (fraud, fees, false details …); 3 distinct reports hide it until staff review it."""
    row, created = reports.report(current_account(), job_id, args["reason"], client_ip())
    return row, 201 if created else 200


@blp.get("/<int:job_id>/candidates")
@auth_required(Role.employer, *STAFF_ROLES)
@blp.arguments(CandidateArgsSchema, location="query")
@blp.response(200, CandidatePageSchema)
def candidates(args, job_id):
    """Seekers near my job whose wishes it fits, best first (personal data masked)."""
    return matching.candidates(current_account(), job_id, args["radius_m"], args["page"], args["per_page"])
