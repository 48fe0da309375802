"""QR codes: signed tokens for printed and rotating codes, their URLs, images and page links.

A token is `<kind><key version>.<object id>.<code version>.<time>.<signature>`:
- kind `p` (printed): object = station, time = issue time (unix seconds), valid while the
  station's code version is the one signed, and refused (`token_from_future`) when issued later
  than now plus PRINTED_CLOCK_SKEW_SECONDS (a code minted on a wrong clock, or with a stolen key);
- kind `r` (rotating, a station's live screen) and `e` (an event's live screen): time = the
  number of the QR_ROTATING_SECONDS window it was made for, valid through that window and
  QR_ROTATING_GRACE_SECONDS after it.
The signature is the first 128 bits of HMAC-SHA256 over everything before it, keyed by the
key version's secret, so a token cannot be forged or altered and keys can be replaced.
"""

import base64
import hashlib
import hmac
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, quote, unquote, urlsplit

from flask import current_app

from app.errors import APIError, ValidationFailed

PRINTED, ROTATING, EVENT = "p", "r", "e"
FIELD = "url_or_token"
# Events share the stations' URL prefix, so one WeChat QR-code rule routes both.
EVENT_CODE_PREFIX = "event-"
# How far a printed code's issue time may run ahead of our clock (servers' clocks drift a little).
PRINTED_CLOCK_SKEW_SECONDS = 300


@dataclass(frozen=True)
class Token:
    """A token whose signature checked out (what it names is not checked yet)."""

    kind: str
    key_version: int
    object_id: int
    version: int
    moment: int
    station_code: str | None = None  # the code in the scanned URL's path, when a URL was given

    @property
    def use_key(self) -> str:
        """Return the key under which one person's use of a rotating token is remembered."""
        return f"{self.kind}:{self.object_id}:{self.version}:{self.moment}"


def _keys() -> dict[int, bytes]:
    """Return the signing keys by version, from QR_KEYS or derived from SECRET_KEY."""
    configured = current_app.config.get("QR_KEYS")
    if configured:
        keys = {}
        for part in configured.split(","):
            version, _, secret = part.strip().partition(":")
            keys[int(version)] = secret.encode()
        return keys
    secret = current_app.config["SECRET_KEY"].encode()
    version = current_app.config["QR_KEY_VERSION"]
    return {version: hmac.new(secret, f"qr-code-key-v{version}".encode(), hashlib.sha256).digest()}


def _signature(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _make(kind: str, object_id: int, version: int, moment: int) -> str:
    key_version = current_app.config["QR_KEY_VERSION"]
    body = f"{kind}{key_version}.{object_id}.{version}.{moment}"
    return f"{body}.{_signature(_keys()[key_version], body)}"


def current_window(now: float | None = None) -> int:
    """Return the number of the rotating-code window `now` falls in."""
    return int((time.time() if now is None else now) // current_app.config["QR_ROTATING_SECONDS"])


def printed_token(station) -> str:
    """Return a printed-code token for a station's current code version."""
    return _make(PRINTED, station.id, station.qr_version, int(time.time()))


def rotating_token(station, now: float | None = None) -> str:
    """Return the live-screen token of a station for the current window."""
    return _make(ROTATING, station.id, station.qr_version, current_window(now))


def event_token(event, now: float | None = None) -> str:
    """Return the live-screen token of an event for the current window."""
    return _make(EVENT, event.id, 0, current_window(now))


def public_url(path: str) -> str:
    """Return an absolute URL under PUBLIC_BASE_URL."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def station_url(station, token: str) -> str:
    """Return the URL a station's QR code encodes (WeChat routes it to the mini-program)."""
    return public_url(f"/s/{quote(station.code)}?t={token}")


def event_url(event, token: str) -> str:
    """Return the URL an event's QR code encodes."""
    return public_url(f"/s/{EVENT_CODE_PREFIX}{event.id}?t={token}")


def _invalid(message: str = "This is not one of our QR codes, or it was altered.") -> ValidationFailed:
    return ValidationFailed(FIELD, message, code="token_invalid")


def extract(url_or_token: str) -> tuple[str, str | None]:
    """Return (token, code in the URL's path) from a scanned URL, or (token, None) from a bare token.

    Accepts the URL itself, the URL percent-encoded as the mini-program receives it in its
    `q` launch parameter, or a page URL carrying it as `?q=`.
    """
    raw = (url_or_token or "").strip()
    for _ in range(3):
        if raw.lower().startswith(("http%3a", "https%3a")):
            raw = unquote(raw)
        if "://" not in raw:
            return raw, None
        parts = urlsplit(raw)
        query = parse_qs(parts.query)
        if "t" in query:
            path = parts.path.rstrip("/")
            if "/s/" not in path:
                raise _invalid()
            return query["t"][0], unquote(path.rsplit("/s/", 1)[1])
        if "q" not in query:
            raise _invalid()
        raw = query["q"][0]
    raise _invalid()


def parse(url_or_token: str, now: float | None = None) -> Token:
    """Check a scanned code's signature and return its token; 422 token_invalid when forged.

    A printed code dated after `now` (beyond the clock skew) is 422 token_from_future.
    """
    token, code = extract(url_or_token)
    body, _, signature = token.rpartition(".")
    pieces = body.split(".")
    if len(pieces) != 4 or len(pieces[0]) < 2 or pieces[0][0] not in (PRINTED, ROTATING, EVENT):
        raise _invalid()
    try:
        key_version, object_id, version, moment = (int(pieces[0][1:]), *map(int, pieces[1:]))
    except ValueError:
        raise _invalid() from None
    key = _keys().get(key_version)
    if key is None and not 1 <= key_version < current_app.config["QR_KEY_VERSION"]:
        raise _invalid()  # a key version never issued: forged
    if key is None:
        raise APIError(
            422,
            "token_revoked",
            "This QR code was signed with a retired key; ask the station for a new one.",
            field=FIELD,
        )
    if not _same(_signature(key, body), signature):
        raise _invalid()
    now = time.time() if now is None else now
    if pieces[0][0] == PRINTED and moment > now + PRINTED_CLOCK_SKEW_SECONDS:
        raise APIError(
            422,
            "token_from_future",
            "This printed code is dated in the future; ask the station for a new one.",
            field=FIELD,
        )
    return Token(pieces[0][0], key_version, object_id, version, moment, code)


def check_window(token: Token, now: float | None = None) -> None:
    """Reject a rotating token outside its window plus the grace period (422 token_expired)."""
    now = time.time() if now is None else now
    period = current_app.config["QR_ROTATING_SECONDS"]
    if token.moment > current_window(now) + 1:  # a clock more than a window ahead: not ours
        raise _invalid()
    if now >= (token.moment + 1) * period + current_app.config["QR_ROTATING_GRACE_SECONDS"]:
        raise APIError(
            422, "token_expired", "This code has expired: scan the code on the screen again.", field=FIELD
        )


def png(data: str, box_size: int = 10) -> bytes:
    """Return a QR code of `data` as PNG bytes (error correction M: survives a scuffed poster)."""
    import qrcode  # here, not at the top: qrcode and Pillow load only when a code is drawn

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=4)
    code.add_data(data)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()


def svg(data: str) -> str:
    """Return a QR code of `data` as a standalone SVG document (scales to any print size)."""
    import qrcode.image.svg

    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        # A white background, so the code reads on a dark screen or coloured paper too.
        image_factory=qrcode.image.svg.SvgPathFillImage,
        box_size=10,
        border=4,
    )
    code.add_data(data)
    return code.make_image().to_string(encoding="unicode")


def page_signature(path: str, version: int, expires: int) -> str:
    """Return the signature of a link to a staff page: its path, the code version, its expiry.

    Signing the station's code version means a rotation also voids the links minted before it.
    """
    return _signature(_keys()[current_app.config["QR_KEY_VERSION"]], f"page:{path}:{version}:{expires}")


def page_link(path: str, version: int = 0) -> tuple[str, datetime]:
    """Return a signed absolute link to a staff page and when it expires."""
    expires = int(time.time()) + current_app.config["STATION_PAGE_LINK_SECONDS"]
    signature = page_signature(path, version, expires)
    return public_url(f"{path}?exp={expires}&sig={signature}"), datetime.fromtimestamp(expires, UTC)


def check_page_link(path: str, version: int, expires: str | None, signature: str | None) -> bool:
    """Tell whether a staff page link is genuine, unexpired and of the current code version."""
    try:
        expires_at = int(expires or "")
    except ValueError:
        return False
    if expires_at < time.time():
        return False
    return _same(page_signature(path, version, expires_at), signature or "")


def _same(expected: str, given: str) -> bool:
    """Compare signatures in constant time; anything not ASCII is simply wrong (no TypeError)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))
