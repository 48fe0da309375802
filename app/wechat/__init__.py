"""Everything that talks to WeChat, through wechatpy; every WeChat error is mapped here.

A login or phone binding (a request waiting on WeChat) gets an APIError for the envelope; a
subscribe message (a worker sending a push) gets a `Delivery` that says what became of it.
Calls needing the access token (phone binding) answer 503 `wechat_unavailable` with
Retry-After while its Redis cache cannot be reached; login needs no token. A batch of pushes
sends its messages concurrently (`sending`), WECHAT_SEND_CONCURRENCY at a time over kept-alive
connections, with the token read once.
"""

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import redis
import requests
from flask import Flask, current_app
from wechatpy.exceptions import WeChatClientException

from app.errors import APIError, ServiceUnavailable, UpstreamUnavailable, redis_retry_after
from app.wechat.client import ApiClient, TokenRefreshBusy

logger = logging.getLogger(__name__)

# jscode2session / getuserphonenumber codes that mean "this code is no good".
INVALID_CODE_ERRORS = frozenset({40029, 40163, 40226, 41008})
# subscribeMessage.send answers that the send may be retried after: rate limited, system busy.
RETRYABLE_SEND_ERRORS = frozenset({45009, -1})
# …and the one that says the person has no quota left (or refused): final.
NO_QUOTA_ERROR = 43101


@dataclass(frozen=True)
class Delivery:
    """What became of one subscribe message: sent, or why not, and whether to try again."""

    SENT = "sent"
    NO_QUOTA = "no_quota"  # final: WeChat says the person may not be sent this any more
    RETRY = "retry"  # not delivered, and worth trying again (busy, rate limited, unreachable)
    REFUSED = "refused"  # not delivered, and never will be as it is (a bad field, template, openid)
    UNKNOWN = "unknown"  # perhaps delivered (a read timeout, an unusable answer): never resend

    outcome: str
    error: str | None = None  # as stored on the push (at most 255 characters)
    msgid: str | None = None


class WeChat:
    """The app's WeChat client, built once per app from config."""

    def init_app(self, app: Flask) -> None:
        """Remember the app; the client is built on first use (Redis must be ready)."""
        app.extensions["wechat"] = None

    @property
    def client(self) -> ApiClient:
        """Return this app's ApiClient, creating it on first use."""
        client = current_app.extensions.get("wechat")
        if client is None:
            config = current_app.config
            client = ApiClient(
                config["WECHAT_APPID"],
                config["WECHAT_SECRET"],
                config["WECHAT_API_BASE"],
                current_app.extensions["redis"],
                timeout=config["WECHAT_TIMEOUT_SECONDS"],
                pool_size=config["WECHAT_SEND_CONCURRENCY"],
            )
            current_app.extensions["wechat"] = client
        return client

    def _call(self, what: str, func, *args, expect: tuple[str, ...] = ()) -> dict:
        """Call WeChat and turn every failure into an APIError; `expect` names required keys."""
        try:
            result = func(*args)
        except WeChatClientException as exc:
            if exc.errcode in INVALID_CODE_ERRORS:
                raise APIError(
                    401,
                    "wechat_code_invalid",
                    f"The WeChat code for {what} is invalid or was already used; ask WeChat for a new one.",
                    field="code",
                ) from None
            logger.warning("WeChat %s failed: errcode=%s errmsg=%s", what, exc.errcode, exc.errmsg)
            raise UpstreamUnavailable(
                "wechat_unavailable", f"WeChat could not complete {what} (error {exc.errcode})."
            ) from None
        except (requests.RequestException, TokenRefreshBusy) as exc:
            logger.warning("WeChat %s unreachable: %s", what, exc.__class__.__name__)
            raise UpstreamUnavailable(
                "wechat_unavailable", "WeChat cannot be reached right now; try again shortly."
            ) from None
        except redis.RedisError as exc:
            # The access token lives in Redis. Fetching one without the cache is refused on
            # purpose: each fetch revokes the token every other process holds (after 5 minutes)
            # and WeChat allows 2,000 a day, so an outage could exhaust them for the whole day.
            logger.warning("WeChat %s: the access-token cache is unavailable: %s", what, exc)
            raise ServiceUnavailable(
                "wechat_unavailable",
                f"WeChat {what} is unavailable for a moment; try again shortly.",
                redis_retry_after(),
            ) from None
        # wechatpy hands back the raw response when the body is not JSON (a proxy's error
        # page, say). Log only the key names: the values include the session_key.
        if not isinstance(result, dict) or not all(result.get(key) for key in expect):
            keys = sorted(result) if isinstance(result, dict) else type(result).__name__
            logger.warning("WeChat %s gave an unusable answer: %s", what, keys)
            raise UpstreamUnavailable("wechat_unavailable", f"WeChat gave an unusable answer to {what}.")
        return result

    def code_to_session(self, code: str) -> dict:
        """Return {openid, session_key, unionid?} for a wx.login code."""
        return self._call("login", self.client.code_to_session, code, expect=("openid", "session_key"))

    def phone_number(self, code: str) -> dict:
        """Return WeChat's phone_info for a getPhoneNumber code."""
        answer = self._call("phone binding", self.client.get_phone_number, code, expect=("phone_info",))
        return answer["phone_info"]

    def send_subscribe_message(self, openid: str, template_id: str, data: dict, page: str | None) -> Delivery:
        """Send one subscribe message and say what became of it; never raises for WeChat's reasons."""
        return _deliver(self.client, openid, template_id, data, page)

    @contextmanager
    def sending(self) -> Iterator[Callable[[list[tuple]], Future]]:
        """Yield submit(messages) -> Future of their Deliveries, for many sends at once.

        Each submitted list (one person's messages, best first) is sent in order on one of
        WECHAT_SEND_CONCURRENCY threads (a worker otherwise waits out each round trip in turn),
        the lists side by side, with the token read once; leaving the block waits for them all.
        A message is (openid, template_id, data, page).
        """
        client = self.client  # the threads have no app context: they are handed the client
        workers = current_app.config["WECHAT_SEND_CONCURRENCY"]

        def in_order(messages: list[tuple]) -> list[Delivery]:
            return [_deliver(client, *message) for message in messages]

        with client.pinned_token(), ThreadPoolExecutor(workers, thread_name_prefix="wechat-send") as pool:
            yield lambda messages: pool.submit(in_order, messages)


def _deliver(client: ApiClient, openid: str, template_id: str, data: dict, page: str | None) -> Delivery:
    """Send one subscribe message through `client` and map WeChat's answer to a Delivery."""
    try:
        answer = client.wxa.send_subscribe_message(openid, template_id, data, page)
    except WeChatClientException as exc:
        error = f"{exc.errcode} {exc.errmsg}"[:255]
        if exc.errcode == NO_QUOTA_ERROR:
            return Delivery(Delivery.NO_QUOTA, error)
        if exc.errcode in RETRYABLE_SEND_ERRORS or exc.errcode is None:  # None: an HTTP 5xx
            return Delivery(Delivery.RETRY, error)
        return Delivery(Delivery.REFUSED, error)
    except requests.ReadTimeout:
        # WeChat may have delivered it: resending could message the person twice.
        return Delivery(Delivery.UNKNOWN, "timeout: outcome unknown, not resent")
    except (requests.RequestException, TokenRefreshBusy, redis.RedisError) as exc:
        # Not sent: the token (cached in Redis) or WeChat could not be reached.
        return Delivery(Delivery.RETRY, f"network: {exc.__class__.__name__}"[:255])
    if not isinstance(answer, dict):
        return Delivery(Delivery.UNKNOWN, "unusable answer from WeChat: outcome unknown, not resent")
    return Delivery(Delivery.SENT, msgid=str(answer.get("msgid") or ""))


wechat = WeChat()
