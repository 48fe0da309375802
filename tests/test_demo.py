"""The demo of `make run`: demo data and its accounts (the README walk-through: test_readme_walkthrough)."""

import requests
import sqlalchemy as sa

from app.extensions import db
from app.models import Account, Employer, Household, Job, Resident

DEMO_PASSWORD = "demo-password-for-tests"


def test_demo_data_is_refused_outside_development(runner, places):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 1
    assert "only in the development config" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_demo_data_makes_the_accounts_and_households_of_the_demo(app, client, runner, places, fake_wechat):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    first = runner.invoke(args=["demo-data"])
    again = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    # Six named residents, and three households of 3, 2 and 3 people in each of 18 communities.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Resident)) == 6 + 18 * 8  # idempotent
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == 18 * 3
    usernames = set(db.session.scalars(sa.select(Account.username).where(Account.username.is_not(None))))
    grid_workers = {name for name in usernames if name.startswith("demo-grid-3410")}
    assert len(grid_workers) == 17  # one per demo community; 341002002001 has demo-grid-worker
    named = {"demo-city-admin", "demo-operator", "demo-grid-worker", "demo-station-staff"}
    assert usernames - grid_workers == named

    # 1. A resident logs in with WeChat, reads and edits the profile.
    codes = fake_wechat.codes()
    login = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]})
    resident = {"Authorization": f"Bearer {login.get_json()['token']}"}
    edit = client.patch(
        "/api/v1/me",
        headers=resident,
        json={"name": "赵敏", "id_number": "341002199003070024", "community_code": "341002002001"},
    )
    assert edit.status_code == 200
    assert edit.get_json()["id_number"] == "3410**********0024"
    assert client.get("/api/v1/me", headers=resident).get_json()["name"] == "赵敏"

    # 2. Staff log in with the demo password.
    for username in sorted(usernames - grid_workers) + sorted(grid_workers)[:1]:
        response = client.post("/api/v1/auth/login", json={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 200, username
    token = client.post(
        "/api/v1/auth/login", json={"username": "demo-grid-worker", "password": DEMO_PASSWORD}
    ).get_json()["token"]
    staff = {"Authorization": f"Bearer {token}"}

    # 3. The grid worker sees their community (three demo residents, eight household members and
    #    the new one) only, and has a non-empty checklist.
    listed = client.get("/api/v1/residents", headers=staff).get_json()
    assert listed["total"] == 3 + 8 + 1
    checklist = client.get("/api/v1/grid/checklist", headers=staff).get_json()
    assert checklist["remaining"] == 3 and len(checklist["items"]) == 3
    elsewhere = db.session.scalar(
        sa.select(Resident.id).where(Resident.community_id.is_not(None), Resident.name == "刘洋")
    )
    response = client.get(f"/api/v1/residents/{elsewhere}", headers=staff)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "resident_not_found"


def test_create_admin_command_creates_then_resets(runner, client, places):
    args = ["create-admin", "--username", "city-boss", "--password", "first-password-1"]
    created = runner.invoke(args=args)
    assert created.exit_code == 0 and "created city_admin city-boss" in created.output
    reset = runner.invoke(args=["create-admin", "--username", "city-boss", "--password", "second-password-2"])
    assert reset.exit_code == 0 and "updated city_admin city-boss" in reset.output
    old = client.post("/api/v1/auth/login", json={"username": "city-boss", "password": "first-password-1"})
    new = client.post("/api/v1/auth/login", json={"username": "city-boss", "password": "second-password-2"})
    assert (old.status_code, new.status_code) == (401, 200)


def test_create_admin_command_rejects_a_bad_place_and_short_password(runner, places):
    bad_place = runner.invoke(
        args=["create-admin", "--username", "x-admin", "--password", "long-enough-1", "--scope-code", "999"]
    )
    short = runner.invoke(args=["create-admin", "--username", "y-admin", "--password", "short"])
    assert bad_place.exit_code != 0 and "No city with code 999" in bad_place.output
    assert short.exit_code != 0 and "at least 10 characters" in short.output


def test_demo_data_puts_verified_employers_and_jobs_around_every_tunxi_circle(
    app, client, runner, places, fake_wechat
):
    app.config.update(DEMO_ACCOUNTS=True, DEMO_PASSWORD=DEMO_PASSWORD)
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    assert runner.invoke(args=["demo-data"]).exit_code == 0
    employers = db.session.scalars(sa.select(Employer)).all()
    assert len(employers) == 8 and {e.status for e in employers} == {"verified"}
    circles = {job.circle_id for job in db.session.scalars(sa.select(Job).where(Job.status == "published"))}
    assert len(circles) == 6

    # Jobs near 昱中街道 show up nearest first.
    found = client.get("/api/v1/jobs", query_string={"lat": 29.716, "lng": 118.318})
    items = found.get_json()["items"]
    assert items and all(item["distance_m"] <= 3000 for item in items)
    assert [item["distance_m"] for item in items] == sorted(item["distance_m"] for item in items)

    # A logged-in resident can call the employer of the nearest job.
    codes = fake_wechat.codes()
    token = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]}).get_json()["token"]
    contact = client.get(
        f"/api/v1/jobs/{items[0]['job']['id']}/contact", headers={"Authorization": f"Bearer {token}"}
    )
    assert contact.get_json()["contact_phone"].startswith("1390001")

    # A demo employer logs in through the fake WeChat with its openid and sees its jobs.
    codes = fake_wechat.codes("demo-employer-1")
    token = client.post("/api/v1/auth/wechat-login", json={"code": codes["code"]}).get_json()["token"]
    mine = client.get("/api/v1/jobs/managed", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 200
    assert {job["title"] for job in mine.get_json()["items"]} == {"茶叶包装工", "茶艺讲解员"}


def test_the_fake_wechat_plays_the_answer_to_request_subscribe_message(fake_wechat):
    def tap(openid, answer="accept"):
        body = {"openid": openid, "tmplIds": ["tmpl-a", "tmpl-b"], "answer": answer}
        return requests.post(
            fake_wechat.base_url + "_fake/request-subscribe-message", json=body, timeout=5
        ).json()

    assert tap("o-demo-tap") == {
        "tmpl-a": "accept",
        "tmpl-b": "accept",
        "errMsg": "requestSubscribeMessage:ok",
    }
    tap("o-demo-tap")
    tap("o-demo-refuser", "reject")
    quotas = fake_wechat.state.quotas
    assert (
        quotas[("o-demo-tap", "tmpl-a")] == 2 and quotas[("o-demo-tap", "tmpl-b")] == 2
    )  # one send per accept
    assert ("o-demo-refuser", "tmpl-a") not in quotas
    assert tap("", "accept")["errcode"] == 40003
