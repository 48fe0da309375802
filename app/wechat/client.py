"""A wechatpy client whose every call, the token call included, goes to WECHAT_API_BASE."""

import contextlib
import logging

import requests
from redis.exceptions import LockError, RedisError
from wechatpy.client import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

logger = logging.getLogger(__name__)

OFFICIAL_BASE = "https://api.weixin.qq.com/"
TOKEN_ERRORS = frozenset({40001, 40014, 42001})  # invalid / expired access_token
# Store the token a little shorter than WeChat keeps it, so no call races its expiry.
TOKEN_EARLY_REFRESH_SECONDS = 300


class TokenRefreshBusy(Exception):
    """Raised when another process holds the refresh lock for too long."""


class ApiClient(WeChatClient):
    """WeChatClient with a configurable base URL, a Redis token cache and a refresh lock.

    wechatpy hard-codes https://api.weixin.qq.com/ in fetch_access_token() and in each API
    group's API_BASE_URL; this subclass rewrites every URL onto `api_base`, so tests and the
    demo run the real wechatpy code against the local fake server.
    """

    # The refresh lock frees itself after token_lock_ttl seconds should its holder die;
    # the others wait up to token_lock_wait seconds for it, then give up (502).
    token_lock_ttl: float = 15
    token_lock_wait: float = 10
    # The token read once for a run of calls (a batch of pushes), see pinned_token().
    _pinned: str | None = None

    def __init__(
        self, appid: str, secret: str, api_base: str, redis, timeout: float = 5, pool_size: int = 10
    ):
        super().__init__(
            appid,
            secret,
            session=RedisStorage(redis, prefix="wechatpy"),
            timeout=timeout,
            # wechatpy's own retry recurses without limit; we retry once, under a lock.
            auto_retry=False,
        )
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.API_BASE_URL = self.api_base + "cgi-bin/"
        self.redis = redis
        # Kept-alive connections for as many calls at once as a batch makes (requests keeps 10).
        adapter = requests.adapters.HTTPAdapter(pool_connections=2, pool_maxsize=max(pool_size, 10))
        self._http.mount("http://", adapter)
        self._http.mount("https://", adapter)

    def rebase(self, url: str) -> str:
        """Move an official WeChat URL onto the configured base."""
        if url.startswith(OFFICIAL_BASE):
            return self.api_base + url[len(OFFICIAL_BASE) :]
        return url

    def _request(self, method, url_or_endpoint, **kwargs):
        """Send a call on the configured base; on a stale token refresh once and retry."""
        base = kwargs.pop("api_base_url", self.API_BASE_URL)
        if url_or_endpoint.startswith(("http://", "https://")):
            url = url_or_endpoint
        else:
            url = base + url_or_endpoint
        url = self.rebase(url)
        retried = kwargs.pop("_retried", False)
        params = kwargs.get("params", {})
        if isinstance(params, dict):
            # Put the token in ourselves (wechatpy would, on a copy we never see), so a
            # stale-token answer tells us which token went stale. A list of params means
            # the call takes no token (jscode2session), as in wechatpy.
            params = {**params}
            params.setdefault("access_token", self.access_token)
            kwargs["params"] = params
        try:
            return super()._request(method, url, **kwargs)
        except WeChatClientException as exc:
            if retried or exc.errcode not in TOKEN_ERRORS or not isinstance(params, dict):
                raise
            fresh = self.refresh_access_token(stale=params["access_token"])
            kwargs["params"] = {**params, "access_token": fresh}
            return self._request(method, url, _retried=True, **kwargs)

    @property
    def access_token(self) -> str:
        """Return the cached access token, fetching one when there is none."""
        if self._pinned:
            return self._pinned
        token = self.session.get(self.access_token_key)
        return token or self.refresh_access_token(stale=None)

    @contextlib.contextmanager
    def pinned_token(self):
        """Read the access token once for a run of calls, not from Redis before each one.

        A stale token is still refreshed once, under the lock, and the pin follows it. Should
        the read fail, nothing is pinned: each call fetches it and reports the failure itself.
        """
        try:
            self._pinned = self.access_token
        except (RedisError, requests.RequestException, TokenRefreshBusy, WeChatClientException):
            self._pinned = None
        try:
            yield
        finally:
            self._pinned = None

    def fetch_access_token(self):
        """Fetch a new access token (called by wechatpy internals)."""
        return {"access_token": self.refresh_access_token(stale=self.session.get(self.access_token_key))}

    def refresh_access_token(self, stale: str | None) -> str:
        """Get a fresh token under a Redis lock, so parallel workers fetch it only once.

        Whoever gets the lock second finds a token different from the stale one it saw and
        uses that instead of calling WeChat again.
        """
        lock = self.redis.lock(
            f"wechatpy:{self.appid}:token-lock",
            timeout=self.token_lock_ttl,
            blocking_timeout=self.token_lock_wait,
        )
        try:
            acquired = lock.acquire()
        except LockError:
            acquired = False
        if not acquired:
            raise TokenRefreshBusy("timed out waiting for the access-token refresh lock")
        try:
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                if self._pinned is not None:
                    self._pinned = current
                return current
            result = self._http.get(
                self.api_base + "cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
                timeout=self.timeout,
            )
            result.raise_for_status()
            data = result.json()
            if data.get("errcode"):
                raise WeChatClientException(data["errcode"], data.get("errmsg"), client=self)
            ttl = max(int(data.get("expires_in", 7200)) - TOKEN_EARLY_REFRESH_SECONDS, 60)
            self.session.set(self.access_token_key, data["access_token"], ttl)
            logger.info("fetched a new WeChat access token (ttl %ss)", ttl)
            if self._pinned is not None:
                self._pinned = data["access_token"]
            return data["access_token"]
        finally:
            with contextlib.suppress(LockError):
                lock.release()

    def code_to_session(self, js_code: str) -> dict:
        """Exchange a wx.login code for openid and session_key (sns/jscode2session)."""
        # A list of params, not a dict: wechatpy then adds no access_token, which this
        # call does not take (and fetching one first would cost a round trip).
        return self.get(
            self.api_base + "sns/jscode2session",
            params=[
                ("appid", self.appid),
                ("secret", self.secret),
                ("js_code", js_code),
                ("grant_type", "authorization_code"),
            ],
        )

    def get_phone_number(self, code: str) -> dict:
        """Exchange a getPhoneNumber code for the phone (wxa/business/getuserphonenumber)."""
        return self.post(self.api_base + "wxa/business/getuserphonenumber", data={"code": code})
