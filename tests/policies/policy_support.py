"""Helpers of the catalogue's tests: a valid policy body, and a policy taken to published."""

from app.queues import TASKS, Task

POLICIES = "/api/v1/policies"
RULE = {
    "and": [
        {">=": [{"var": "age"}, 16]},
        {"<=": [{"var": "age"}, 60]},
        {"==": [{"var": "unemployment_registered"}, True]},
    ]
}


def policy_body(**fields) -> dict:
    """Return a valid new person policy (a city one unless district_code is given)."""
    body = {
        "subject": "person",
        "title": "一次性求职创业补贴",
        "document_number": "黄人社〔2026〕1号",
        "issuer": "黄山市人力资源和社会保障局",
        "summary": "对登记失业的劳动年龄人员发放一次性求职创业补贴。",
        "effective_from": "2026-01-01",
        "effective_until": "2027-12-31",
        "benefit": {"kind": "fixed", "amount": 1000},
        "materials": ["身份证", "失业登记证明"],
        "claim_deadline": {"within_days": 90},
        "claim_period": "once",
        "notice_days": 7,
        "rule": RULE,
        "hints": {"unemployment_registered": "请到社区就业服务站办理失业登记"},
    }
    body.update(fields)
    return body


MATCHED: list = []


def recorded_match_version(version_id):
    """Stand in for policies.match_version: note the version (RQ imports a task by its module path)."""
    MATCHED.append(version_id)


def record_matching(monkeypatch) -> list:
    """Replace the matching task by a recorder; return the version ids it is enqueued with."""
    MATCHED.clear()
    monkeypatch.setitem(TASKS, "policies.match_version", Task(recorded_match_version, "default"))
    return MATCHED


def publish_policy(client, author_headers, publisher_headers, **fields) -> dict:
    """Create, submit and publish a policy (two admins); return the published policy's body."""
    created = client.post(POLICIES, json=policy_body(**fields), headers=author_headers)
    assert created.status_code == 201, created.get_json()
    policy_id = created.get_json()["id"]
    submitted = client.post(f"{POLICIES}/{policy_id}/submit", headers=author_headers)
    assert submitted.status_code == 200, submitted.get_json()
    published = client.post(f"{POLICIES}/{policy_id}/publish", json={}, headers=publisher_headers)
    assert published.status_code == 200, published.get_json()
    return published.get_json()
