"""The HTML pages carry security headers that keep them working (CSP by nonce, no framing, no
referrer, no sniffing), every API answer says nosniff, and printed codes dated in the future
are refused."""

import re
import time
from urllib.parse import urlsplit

import pytest

from app.errors import APIError
from app.extensions import db
from app.models import CheckIn, Station
from app.services.stations import qr_codes
from tests.support import check_in, count, error_of

STATIONS = "/api/v1/stations"
STATION = {"name": "昱中就业服务站", "circle": "341002-chengzhong", "lat": 29.7160, "lng": 118.3180}


def path_of(url: str) -> str:
    """Return the path and query of an absolute link."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def links(client, operator):
    """Create a station and mint its page links; return (station id, links)."""
    station = client.post(STATIONS, json=STATION, headers=operator[1])
    assert station.status_code == 201, station.get_json()
    response = client.post(f"{STATIONS}/{station.get_json()['id']}/page-links", headers=operator[1])
    assert response.status_code == 200, response.get_json()
    return station.get_json()["id"], response.get_json()


def assert_secured(response) -> str:
    """Assert the page's security headers; return the nonce its CSP allows."""
    headers = response.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    return re.search(r"'nonce-([^']+)'", csp).group(1)


def test_every_page_is_secured_and_its_style_block_carries_the_nonce(client, links):
    station_id, urls = links
    code = db.session.get(Station, station_id).code
    pages = [path_of(urls["live_url"]), path_of(urls["poster_url"]), f"/s/{code}", "/s/no-such-code"]
    pages.append(f"/stations/{station_id}/live?exp=1&sig=forged")
    nonces = set()
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 403, 404), path
        nonce = assert_secured(response)
        nonces.add(nonce)
        html = response.get_data(as_text=True)
        # Every style block carries the nonce, and nothing inline would be blocked.
        assert re.findall(r"<style[^>]*>", html) == [f'<style nonce="{nonce}">'], path
        assert " style=" not in html and "<script" not in html, path
    assert len(nonces) == len(pages)  # a fresh nonce per response


def test_the_live_screen_still_shows_a_code_that_refreshes(client, links):
    _, urls = links
    live = client.get(path_of(urls["live_url"]))
    assert live.status_code == 200
    html = live.get_data(as_text=True)
    assert "<svg" in html and '<meta http-equiv="refresh"' in html


def test_api_answers_say_nosniff(client, operator):
    for response in (client.get("/api/v1/stations", headers=operator[1]), client.get("/api/v1/residents")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_printed_code_dated_in_the_future_is_refused(app, client, links, wechat_login, monkeypatch):
    station_id, _ = links
    station = db.session.get(Station, station_id)
    real = time.time()
    with monkeypatch.context() as patched:
        patched.setattr(qr_codes.time, "time", lambda: real + 3600)
        url = qr_codes.station_url(station, qr_codes.printed_token(station))
    _, headers, _ = wechat_login()

    response = check_in(client, headers, url)

    assert response.status_code == 422
    assert (error_of(response)["code"], error_of(response)["field"]) == ("token_from_future", "url_or_token")
    assert count(CheckIn) == 0


def test_a_printed_code_a_little_ahead_is_clock_skew_and_accepted(app, links, monkeypatch):
    station = db.session.get(Station, links[0])
    real = time.time()
    with monkeypatch.context() as patched:
        patched.setattr(qr_codes.time, "time", lambda: real + qr_codes.PRINTED_CLOCK_SKEW_SECONDS - 30)
        token = qr_codes.printed_token(station)
    assert qr_codes.parse(token).object_id == station.id
    with pytest.raises(APIError) as refused:
        qr_codes.parse(token, now=real - 60)
    assert refused.value.code == "token_from_future"
