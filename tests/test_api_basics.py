"""The error envelope, the OpenAPI document, /healthz and production start-up checks."""

import pytest
import redis
import sqlalchemy as sa
from redis.backoff import NoBackoff
from redis.retry import Retry

from app import create_app
from app.extensions import db
from app.models import AuditEvent


def test_unknown_api_route_gets_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_gets_json_405(client):
    response = client.delete("/api/v1/places/circles")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_malformed_json_gets_400_invalid_json(client):
    response = client.post(
        "/api/v1/auth/login", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_validation_error_names_the_field(client):
    response = client.post("/api/v1/auth/login", json={"username": "someone"})
    body = response.get_json()["error"]
    assert response.status_code == 422
    assert body["code"] == "validation_error"
    assert body["field"] == "password"
    assert body["fields"] == {"password": ["Missing data for required field."]}


def test_unknown_field_is_rejected(client):
    response = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "admin": True})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "admin"


def test_bad_query_parameter_is_422_not_500(client, staff_headers):
    _, headers = staff_headers("city_admin", "city", "341000000000")
    response = client.get("/api/v1/residents?page=abc", headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "page"


def test_oversized_body_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/v1/auth/login", data="x" * 4096, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(app, client):
    app.extensions["redis"] = redis.Redis(
        host="127.0.0.1", port=9, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "ok", "redis": "error"}


BODYLESS_ACTIONS = (
    "/logout",
    "/submit",
    "/close",
    "/refresh",
    "/rotate",
    "/page-links",
    "/signups",
    "/seeking",
    "/claim-code",
    "/job-drafts",
    "/deletion-request",
    "/call-next",
)


def test_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["info"]["title"]
    assert "bearer" in spec["components"]["securitySchemes"]
    documented = {(path, method) for path, operations in spec["paths"].items() for method in operations}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, f"{method} {rule.rule} is not documented"
            operation = spec["paths"][path][method.lower()]
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, f"{method} {rule.rule} has no success response"
            # Actions named by their path take no body: logging out, submitting, closing, refreshing,
            # rotating a QR code, minting page links, signing up, looking for work again, issuing an
            # employer's claim code, making draft jobs of a visit's hiring needs, asking for one's
            # data to be deleted, calling the queue's next visitor.
            if method in {"POST", "PATCH", "PUT"} and not path.endswith(BODYLESS_ACTIONS):
                assert "requestBody" in operation, f"{method} {rule.rule} has no request schema"


def test_openapi_marks_protected_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["paths"]["/api/v1/residents"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]
    error = spec["components"]["schemas"]["Error"]
    assert "error" in error["properties"]


def test_production_refuses_development_secrets(monkeypatch):
    for name in ("SECRET_KEY", "DATA_KEY", "DATABASE_URL", "REDIS_URL", "WECHAT_APPID", "WECHAT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError) as excinfo:
        create_app("production", {"REDIS_URL": None, "WECHAT_APPID": None})
    message = str(excinfo.value)
    for problem in ("SECRET_KEY", "DATA_KEY", "DATABASE_URL", "REDIS_URL", "WECHAT_APPID"):
        assert problem in message


def test_production_starts_with_real_settings():
    app = create_app(
        "production",
        {
            "SECRET_KEY": "x" * 40,
            "DATA_KEY": "c2VjcmV0LWRhdGEta2V5LWZvci1wcm9kdWN0aW9uLTEyMzQ=",
            "SQLALCHEMY_DATABASE_URI": "mysql+pymysql://app@db.internal/employment",
            "REDIS_URL": "redis://redis.internal:6379/0",
            "WECHAT_APPID": "wx1234567890abcdef",
            "WECHAT_SECRET": "s" * 32,
        },
    )
    assert app.config["CONFIG_NAME"] == "production"
    assert app.config["RQ_ASYNC"] is True  # real workers, not inline jobs


def test_audit_ip_comes_from_the_proxy_header_only_when_configured(app, client, make_staff):
    account = make_staff("city_admin", "city", "341000000000")
    body = {"username": account.username, "password": "correct-horse-battery"}
    forwarded = {"X-Forwarded-For": "203.0.113.9"}
    client.post("/api/v1/auth/login", json=body, headers=forwarded)
    proxied = create_app("testing", {**app.config, "PROXY_COUNT": 1})
    with proxied.app_context():
        proxied.test_client().post("/api/v1/auth/login", json=body, headers=forwarded)
        db.session.remove()
        db.engine.dispose()
    db.session.commit()  # end our transaction, so the other app's writes are visible (MariaDB)
    ips = db.session.scalars(
        sa.select(AuditEvent.ip).where(AuditEvent.action == "auth.login").order_by(AuditEvent.id)
    ).all()
    assert ips == ["127.0.0.1", "203.0.113.9"]
