"""Consent: the documents (public), a resident's answers, their data copy and deletion (docs/PEOPLE.md)."""

from flask import request

from app.api.json_body import Blueprint
from app.api.schemas.consents import (
    ConsentAcceptSchema,
    ConsentDocumentListSchema,
    ConsentDocumentQuerySchema,
    ConsentDocumentSchema,
    ConsentOverviewSchema,
    ConsentPublishSchema,
    ConsentWithdrawSchema,
    DeletionRequestSchema,
    MyDataSchema,
)
from app.auth import auth_required, client_ip, current_account
from app.errors import ErrorSchema, NotFound
from app.models import Role
from app.services.people import consent_documents, consents, erasure, my_data

URL_PREFIX = ""
blp = Blueprint("consents", __name__, description="Consent, the person's copy of their data, deletion")


def client(values: dict) -> consents.Client:
    """Return where an answer comes from: address, user agent, the mini-program's version."""
    return consents.Client(client_ip(), request.headers.get("User-Agent"), values.get("client_version"))


@blp.get("/consent-documents")
@blp.arguments(ConsentDocumentQuerySchema, location="query")
@blp.response(200, ConsentDocumentListSchema)
@blp.alt_response(404, schema=ErrorSchema, description="`consent_document_not_found`: no such version")
def documents(args):
    """Return the current documents (服务协议, 隐私政策, 单独同意) with their text, or one version."""
    if args.get("version"):
        return {"items": [consent_documents.get_document(args["purpose"], args["version"])]}
    return {"items": consent_documents.list_current(args.get("purpose"))}


@blp.post("/consent-documents")
@auth_required(Role.city_admin)
@blp.arguments(ConsentPublishSchema)
@blp.response(201, ConsentDocumentSchema)
@blp.alt_response(200, schema=ConsentDocumentSchema, description="The same version and text again: the first")
@blp.alt_response(
    409, schema=ErrorSchema, description="`consent_version_exists`: that version has another text"
)
def publish(values):
    """Publish a new version of a document (city administration); every resident is asked to accept it."""
    document, created = consent_documents.publish(current_account(), values, client_ip())
    return document, 201 if created else 200


@blp.get("/me/consents")
@auth_required(Role.resident)
@blp.response(200, ConsentOverviewSchema)
def my_consents():
    """Return my consents: each document's current version, what I accepted, what is pending, my history."""
    return consents.overview(current_account())


@blp.post("/me/consents")
@auth_required(Role.resident)
@blp.arguments(ConsentAcceptSchema)
@blp.response(200, ConsentOverviewSchema)
@blp.alt_response(
    409, schema=ErrorSchema, description="`consent_version_outdated`: a newer version was published; read it"
)
@blp.alt_response(
    422, schema=ErrorSchema, description="`consent_base_required`: sensitive data before the base documents"
)
def accept(values):
    """Accept documents in the versions shown to me (with time, address and client); a retry is a no-op."""
    return consents.accept(current_account(), values["documents"], client(values))


@blp.post("/me/consents/withdraw")
@auth_required(Role.resident)
@blp.arguments(ConsentWithdrawSchema)
@blp.response(200, ConsentOverviewSchema)
def withdraw(values):
    """Withdraw consent: the agreement or the privacy notice stops matching and pushes (docs/PEOPLE.md)."""
    return consents.withdraw(current_account(), values["purposes"], client(values))


@blp.get("/me/data")
@auth_required(Role.resident)
@blp.response(200, MyDataSchema)
def my_data_copy():
    """Return a copy of all my data, ID number and phone in full (the read is audited)."""
    return my_data.copy_of(current_account(), client_ip())


@blp.post("/me/deletion-request")
@auth_required(Role.resident)
@blp.response(202, DeletionRequestSchema)
@blp.alt_response(200, schema=DeletionRequestSchema, description="Asked before: that request")
def request_deletion():
    """Ask for my data to be deleted: erased or anonymised, the ledger kept as law requires; logs me out."""
    row, created = erasure.request_deletion(current_account(), client_ip())
    return row, 202 if created else 200


@blp.get("/me/deletion-request")
@auth_required(Role.resident)
@blp.response(200, DeletionRequestSchema)
@blp.alt_response(404, schema=ErrorSchema, description="`deletion_request_not_found`: none asked")
def deletion_status():
    """Return my deletion request and where it is (also from a later login of the same WeChat user)."""
    row = erasure.status_of(current_account())
    if row is None:
        raise NotFound("deletion_request_not_found", "You have not asked for deletion.")
    return row
