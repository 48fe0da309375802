"""The job card (分享岗位): a PNG of a published job with a QR code to it, cached, and its /j/ page."""

import io
from datetime import timedelta

import pytest
from PIL import Image, ImageChops, ImageFont

from app.extensions import db, get_redis
from app.models import Job, utcnow
from app.services.jobs import job_card
from tests.support import error_of

JOBS = "/api/v1/jobs"


@pytest.fixture
def job_id(make_employer, make_job):
    """A published job of 黄山测试茶业 in 城中: 茶叶分拣工, 3000-4500 元/月."""
    _, headers = make_employer(address="屯溪区昱中街道茶园路8号")
    return make_job(headers, address="屯溪区昱中街道茶园路8号")


def card(client, job_id, **headers):
    """GET a job's card."""
    return client.get(f"{JOBS}/{job_id}/card.png", headers=headers)


def test_a_published_jobs_card_is_a_png_anyone_may_fetch_and_cache(client, job_id):
    response = card(client, job_id)

    assert response.status_code == 200, response.data[:200]
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=600"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    image = Image.open(io.BytesIO(response.data))
    assert (image.format, image.size) == ("PNG", (job_card.WIDTH, job_card.HEIGHT))
    again = card(client, job_id, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert card(client, job_id, **{"If-None-Match": '"something-else"'}).status_code == 200


def test_the_qr_code_on_the_card_is_the_jobs_link(app, client, job_id):
    image = Image.open(io.BytesIO(card(client, job_id).data)).convert("RGB")
    url = f"{app.config['PUBLIC_BASE_URL'].rstrip('/')}/j/{job_id}"

    with app.app_context():
        assert job_card.job_url(job_id) == url
        expected = job_card.qr_image(url, 260)
    # The code sits centred above the caption, drawn from exactly this URL (Part D decodes it too).
    left, top = (job_card.WIDTH - 260) // 2, job_card.HEIGHT - 260 - 90
    drawn = image.crop((left, top, left + 260, top + 260))
    assert ImageChops.difference(drawn, expected).getbbox() is None


def test_the_card_is_drawn_once_per_version_and_redrawn_after_an_edit(app, client, job_id, monkeypatch):
    first = card(client, job_id)
    version = first.headers["ETag"].strip('"')
    assert get_redis().get(f"jobcard:{job_id}:{version}") == first.data

    def no_drawing(lines):
        raise AssertionError("drawn again: the cache was not used")

    monkeypatch.setattr(job_card, "render", no_drawing)
    cached = card(client, job_id)
    assert (cached.status_code, cached.data) == (200, first.data)

    monkeypatch.undo()
    db.session.get(Job, job_id).title = "茶叶包装工"
    db.session.commit()
    edited = card(client, job_id)
    assert edited.status_code == 200 and edited.headers["ETag"] != first.headers["ETag"]
    assert edited.data != first.data
    assert card(client, job_id, **{"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_the_card_is_drawn_when_redis_is_down(app, client, job_id, monkeypatch):
    import redis

    class Down:
        def get(self, key):
            raise redis.ConnectionError("down")

        def set(self, *args, **kwargs):
            raise redis.ConnectionError("down")

    monkeypatch.setattr(job_card, "get_redis", lambda: Down())

    response = card(client, job_id)

    assert response.status_code == 200 and response.mimetype == "image/png"


@pytest.mark.parametrize(
    "change",
    [
        {"status": "draft"},
        {"status": "pending_review"},
        {"status": "closed"},
        {"status": "expired"},
        {"valid_until": "past"},
    ],
)
def test_only_a_published_live_job_has_a_card(client, job_id, change):
    job = db.session.get(Job, job_id)
    for name, value in change.items():
        setattr(job, name, utcnow() - timedelta(minutes=1) if value == "past" else value)
    db.session.commit()

    response = card(client, job_id)

    assert response.status_code == 404
    assert error_of(response)["code"] == "job_not_found"
    assert client.get(f"/j/{job_id}").status_code == 404


def test_an_unknown_job_has_no_card(client, places):
    response = card(client, 999999)
    assert response.status_code == 404 and error_of(response)["code"] == "job_not_found"


def test_without_a_cjk_font_the_card_is_refused_not_drawn_as_boxes(app, client, job_id, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_CARD_FONT", "/nonexistent/font.ttc")

    missing = card(client, job_id)

    assert missing.status_code == 503
    error = error_of(missing)
    assert error["code"] == "card_font_missing" and "fonts-wqy-microhei" in error["message"]
    monkeypatch.setitem(app.config, "JOB_CARD_FONT", None)
    monkeypatch.setattr(job_card, "DEBIAN_FONTS", ("/nonexistent/a.ttc", "/nonexistent/b.ttc"))
    assert card(client, job_id).status_code == 503


def test_job_card_font_names_the_font_to_draw_with(app, client, job_id, monkeypatch):
    with app.app_context():
        installed = job_card.font_path()
    monkeypatch.setitem(app.config, "JOB_CARD_FONT", installed)

    assert card(client, job_id).status_code == 200


def _glyph(font, char: str) -> bytes:
    """Return the bitmap of one character as the font draws it (its missing-glyph box if it has none)."""
    mask = font.getmask(char)
    return bytes(mask.size) + bytes(mask)


def test_the_installed_font_draws_every_character_on_the_card(app, job_id):
    with app.app_context():
        font = ImageFont.truetype(job_card.font_path(), 32)
        lines = job_card.card_lines(db.session.get(Job, job_id))
    # A character the font lacks is drawn as its .notdef glyph: what a private-use one gives.
    missing = _glyph(font, "\U000f0000")
    text = (
        "".join(value for key, value in lines.items() if key != "url")
        + "元/月天小时全职兼职零工公益性岗位就业见习薪资面议招人分享·…"
    )
    assert "三公里就业圈" in text and "微信扫一扫" in text and "茶叶分拣工" in text and "屯溪区" in text
    lacking = sorted({char for char in text if not char.isspace() and _glyph(font, char) == missing})
    assert lacking == [], f"the font has no glyph for {lacking}"


def test_the_card_shows_what_the_job_says(app, job_id):
    with app.app_context():
        lines = job_card.card_lines(db.session.get(Job, job_id))

    assert lines["title"] == "茶叶分拣工"
    assert lines["employer"] == "黄山测试茶业有限公司"
    assert lines["wage"] == "3000-4500 元/月"
    assert lines["kind"] == "全职"
    assert lines["place"].startswith("屯溪区") and lines["place"].endswith("茶园路8号")
    assert (lines["app"], lines["caption"]) == ("三公里就业圈", "微信扫一扫 查看岗位")


@pytest.mark.parametrize(
    ("wage_min", "wage_max", "unit", "shown"),
    [(None, None, "month", "薪资面议"), (150, 150, "day", "150 元/天"), (None, 25, "hour", "25 元/小时")],
)
def test_wages_read_as_people_say_them(wage_min, wage_max, unit, shown):
    job = Job(wage_min=wage_min, wage_max=wage_max, wage_unit=unit)
    assert job_card.wage_text(job) == shown


def test_the_link_opened_in_a_browser_says_to_scan_it_in_wechat(client, job_id):
    response = client.get(f"/j/{job_id}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "茶叶分拣工" in page and "黄山测试茶业有限公司" in page and "微信" in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert client.get("/j/999999").status_code == 404
