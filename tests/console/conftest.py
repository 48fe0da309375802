"""Console fixtures: sign a test client in (password, and TOTP for administrators), CSRF tokens.

`console_login(username, totp_secret=None)` signs the shared `client` in through the real pages;
`console_staff(role, scope_kind, scope_code)` makes the account first (city and district
administrators get TOTP with a known secret) and returns (account, secret). `console_post(path,
data)` posts a console form with this client's CSRF token. The real-browser fixtures are in
tests/console/browser.py (`live_server`, `browser`).
"""

import re
import time

import pyotp
import pytest

from app.extensions import db
from app.models import Account
from app.services.people import second_factor
from tests.conftest import PASSWORD
from tests.console.browser import browser, chromium, live_server  # noqa: F401  (fixtures)

LOGIN = "/console/login"
# A page every signed-in staff member may open (the home page may redirect to the dashboard).
ACCOUNT = "/console/account"
VERIFY = "/console/login/verify"
ENROL = "/console/login/enrol"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_from(html: str) -> str:
    """Return the CSRF token a console page carries in its <meta>."""
    match = _CSRF.search(html)
    assert match, "no csrf-token meta on this page"
    return match.group(1)


def csrf_token(client, page: str = LOGIN) -> str:
    """GET a console page and return the CSRF token it carries (signed-in pages: pass one)."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code, response.location)
    return csrf_from(response.get_data(as_text=True))


def fresh_code(account: Account, secret: str) -> str:
    """Return a TOTP code of `secret` the server has not seen yet (a later step if need be)."""
    db.session.refresh(account)
    now = time.time()
    current = int(now // second_factor.STEP_SECONDS)
    step = current if account.totp_last_step is None else max(current - 1, account.totp_last_step + 1)
    while step > current + second_factor.VALID_WINDOW:
        time.sleep(1)  # every step the window allows is used: wait for the next one
        current = int(time.time() // second_factor.STEP_SECONDS)
    return pyotp.TOTP(secret).at(step * second_factor.STEP_SECONDS)


def enrol_totp(account: Account, secret: str = TOTP_SECRET) -> list[str]:
    """Turn TOTP on for `account` with a known secret (as the demo does); return its recovery codes."""
    codes = second_factor.enrol(account, secret)
    db.session.commit()
    return codes


@pytest.fixture
def console_post(client):
    """Return a function: console_post(path, data=None, page=...) -> response, with a CSRF token."""

    def post(path, data=None, page="/console/account", **kwargs):
        body = {"csrf_token": csrf_token(client, page), **(data or {})}
        return client.post(path, data=body, **kwargs)

    return post


@pytest.fixture
def console_login(client):
    """Return a function signing `client` in: console_login(username, password, totp_secret) -> response.

    The response is the last step's (a redirect into the console when it worked).
    """

    def sign_in(username, password=PASSWORD, totp_secret=None):
        token = csrf_token(client, LOGIN)
        response = client.post(LOGIN, data={"csrf_token": token, "username": username, "password": password})
        if response.status_code != 302 or not response.location.startswith(VERIFY):
            return response
        assert totp_secret, f"{username} needs a TOTP code"
        account = db.session.scalar(db.select(Account).where(Account.username == username))
        token = csrf_token(client, response.location)
        return client.post(VERIFY, data={"csrf_token": token, "code": fresh_code(account, totp_secret)})

    return sign_in


@pytest.fixture
def console_staff(make_staff, console_login):
    """Return a function: console_staff(role, scope_kind, scope_code) -> (account, totp secret or None).

    The account is made and `client` signed in; city and district administrators get TOTP first.
    """

    def factory(role, scope_kind, scope_code, username=None):
        account = make_staff(role, scope_kind, scope_code, username=username)
        secret = None
        if second_factor.required(account):
            enrol_totp(account)
            secret = TOTP_SECRET
        response = console_login(account.username, totp_secret=secret)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert not response.location.startswith(LOGIN), response.location
        return account, secret

    return factory
