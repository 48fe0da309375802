"""The policy catalogue (public reading, admins' writing), the documented facts, and the calculator."""

from app.api.json_body import Blueprint
from app.api.schemas.consents import CONSENT_REQUIRED
from app.api.schemas.policies import (
    EvaluateInputSchema,
    EvaluationSchema,
    FactCatalogueSchema,
    FactQuerySchema,
    PolicyActionSchema,
    PolicyEditSchema,
    PolicyInputSchema,
    PolicyListSchema,
    PolicyQuerySchema,
    PolicySchema,
    PolicyVersionListSchema,
    PolicyWithdrawSchema,
)
from app.auth import auth_required, client_ip, current_account, optional_account
from app.models import Role
from app.services.policies import calculator, catalogue, facts, rules

URL_PREFIX = "/policies"
blp = Blueprint("policies", __name__, description="Policies: the catalogue, the facts, the calculator")
MANAGERS = (Role.city_admin, Role.district_admin)
RETRY = "Sent before with this code by me, still a draft: that draft"


@blp.get("")
@blp.arguments(PolicyQuerySchema, location="query")
@blp.response(200, PolicyListSchema)
def list_policies(args):
    """List the policies in force today (published), optionally of a subject (?subject=) and district."""
    return {"items": catalogue.list_policies(args.get("subject"), args.get("district_code"))}


@blp.get("/facts")
@blp.arguments(FactQuerySchema, location="query")
@blp.response(200, FactCatalogueSchema)
def list_facts(args):
    """List the documented facts a rule may read (?subject=person|employer), and the operators it may use."""
    return {"facts": facts.catalogue(args.get("subject")), "operators": sorted(rules.OPERATORS)}


@blp.post("/evaluate")
@blp.arguments(EvaluateInputSchema)
@blp.response(200, EvaluationSchema)
@blp.alt_response(403, **CONSENT_REQUIRED)
def evaluate(values):
    """Which policies in force would I qualify for, and for how much: over my answers, or my own facts.

    Anonymous use stores nothing. Logged in, "use_my_facts" reads my facts from the ledger (a
    resident needs consent: 403 consent_required). 422 unknown_fact / invalid_answer naming the answer.
    """
    return calculator.evaluate(optional_account(), values)


@blp.post("")
@auth_required(*MANAGERS)
@blp.arguments(PolicyInputSchema)
@blp.response(201, PolicySchema)
@blp.alt_response(200, schema=PolicySchema, description=RETRY)
def create_policy(values):
    """Create a policy and its first draft (city admin: the city's or a district's; district admin: theirs).

    422 rule_invalid / benefit_invalid / unknown_place / dates_out_of_order naming the field;
    409 policy_code_taken.
    """
    version, created = catalogue.create_policy(current_account(), values, client_ip())
    return catalogue.get_policy(current_account(), version.policy_id), 201 if created else 200


@blp.get("/<int:policy_id>")
@blp.response(200, PolicySchema)
def get_policy(policy_id):
    """Return a policy's published version to anyone; its managers see the latest version and the history."""
    return catalogue.get_policy(optional_account(), policy_id)


@blp.patch("/<int:policy_id>/draft")
@auth_required(*MANAGERS)
@blp.arguments(PolicyEditSchema)
@blp.response(200, PolicySchema)
def edit_draft(values, policy_id):
    """Change the draft; editing a published policy makes a new draft version (number + 1) copied from it."""
    catalogue.edit(current_account(), policy_id, values, client_ip())
    return catalogue.get_policy(current_account(), policy_id)


@blp.post("/<int:policy_id>/submit")
@auth_required(*MANAGERS)
@blp.response(200, PolicySchema)
def submit(policy_id):
    """Submit the draft for publication by a second admin (409 not_draft)."""
    catalogue.submit(current_account(), policy_id, client_ip())
    return catalogue.get_policy(current_account(), policy_id)


@blp.post("/<int:policy_id>/publish")
@auth_required(*MANAGERS)
@blp.arguments(PolicyActionSchema)
@blp.response(200, PolicySchema)
def publish(values, policy_id):
    """Publish the submitted version: an admin in scope other than its author (403 second_person_required).

    The version in force is superseded; matching runs for the new one. 409 not_pending.
    """
    catalogue.publish(current_account(), policy_id, client_ip(), values.get("note"))
    return catalogue.get_policy(current_account(), policy_id)


@blp.post("/<int:policy_id>/withdraw")
@auth_required(*MANAGERS)
@blp.arguments(PolicyWithdrawSchema)
@blp.response(200, PolicySchema)
def withdraw(values, policy_id):
    """Withdraw the published version, with a reason: the policy stops, matches lapse (409 not_published)."""
    catalogue.withdraw(current_account(), policy_id, client_ip(), values["reason"])
    return catalogue.get_policy(current_account(), policy_id)


@blp.get("/<int:policy_id>/versions")
@auth_required(*MANAGERS)
@blp.response(200, PolicyVersionListSchema)
def list_versions(policy_id):
    """List a policy's versions, oldest first (its managers only)."""
    return {"items": catalogue.list_versions(current_account(), policy_id)}
