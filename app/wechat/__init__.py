"""Everything that talks to WeChat, through wechatpy; errors mapped to our envelope."""

import logging

import requests
from flask import Flask, current_app
from wechatpy.exceptions import WeChatClientException

from app.errors import APIError, UpstreamUnavailable
from app.wechat.client import ApiClient, TokenRefreshBusy

logger = logging.getLogger(__name__)

# jscode2session / getuserphonenumber codes that mean "this code is no good".
INVALID_CODE_ERRORS = frozenset({40029, 40163, 40226, 41008})


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


wechat = WeChat()
