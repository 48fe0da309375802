"""No probing for usernames: unknown and known names answer alike; what was typed is never stored."""

import sqlalchemy as sa

from app.extensions import db, get_redis
from app.models import AuditEvent
from app.services.people import accounts

LOGIN = "/api/v1/auth/login"


def attempts(client, username, times, address="198.51.100.20"):
    """Send `times` wrong passwords for `username`; return (status, body, Retry-After present) of each."""
    answers = []
    for n in range(times):
        response = client.post(
            LOGIN,
            json={"username": username, "password": f"wrong-guess-{n}"},
            environ_base={"REMOTE_ADDR": address},
        )
        body = response.get_json()
        # Compared whole: a lock says the same minutes for both.
        answers.append((response.status_code, body, "Retry-After" in response.headers))
    return answers


def test_known_and_unknown_usernames_answer_alike_through_a_lockout(app, client, make_staff, monkeypatch):
    make_staff("city_admin", "city", "341000000000", username="city-boss")
    checks = []
    real = accounts.check_password_hash
    monkeypatch.setattr(accounts, "check_password_hash", lambda h, p: checks.append(h) or real(h, p))
    limit = app.config["LOGIN_MAX_FAILURES"]

    known = attempts(client, "city-boss", limit + 2)
    known_checks = len(checks)
    unknown = attempts(client, "city-bos", limit + 2)

    assert known == unknown
    assert [status for status, _, _ in known] == [401] * (limit - 1) + [429] * 3
    assert [retry for _, _, retry in unknown] == [False] * (limit - 1) + [True] * 3
    assert unknown[-1][1]["error"]["code"] == "account_locked"
    # The same work too: one password check per attempt let through, none once locked.
    assert known_checks == limit
    assert len(checks) - known_checks == limit


def test_an_unknown_username_is_audited_by_a_keyed_hash_only(client, places):
    typed = "Tr0ub4dor&3-my-password"  # a password typed into the username field
    for address in ("198.51.100.1", "198.51.100.2"):
        client.post(LOGIN, json={"username": typed, "password": "x"}, environ_base={"REMOTE_ADDR": address})
    client.post(LOGIN, json={"username": "someone-else", "password": "x"})

    db.session.commit()
    rows = db.session.execute(sa.select(AuditEvent.__table__).order_by(AuditEvent.id)).mappings().all()
    assert len(rows) == 3
    for row in rows:
        assert (row["action"], row["outcome"], row["actor_id"], row["actor_label"]) == (
            "auth.login",
            "failure",
            None,
            None,
        )
        assert all(typed.lower() not in str(value).lower() for value in row.values())
        assert all(typed[:6].lower() not in str(value).lower() for value in row.values())
        assert set(row["detail"]) == {"reason", "username_hmac", "locked"}
        assert len(row["detail"]["username_hmac"]) == 32
    # The same name hashes the same (tries can be told apart and grouped), another name not.
    first, second, other = (row["detail"]["username_hmac"] for row in rows)
    assert first == second != other
    # The throttle's keys and members in Redis are keyed hashes too.
    connection = get_redis()
    stored = [key.decode() for key in connection.keys("login:*")]
    stored += [m.decode() for key in stored for m in connection.zrange(key, 0, -1)]
    assert stored
    assert all(typed[:6].lower() not in text.lower() and "198.51" not in text for text in stored)
