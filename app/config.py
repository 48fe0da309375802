"""Configuration: one class per environment, every value from environment variables.

The message templates (push and SMS) are in app/config_templates.py, the programme's settings
(supervision, funding, credibility, demonstration) in app/config_programme.py; reading the
environment is app/env.py's. README's table lists what the environment may set.

Long because every wing's settings are read here, each once, with the reason beside it.
"""

from pathlib import Path

from app.common.crypto import key_problems
from app.config_programme import ProgrammeSettings
from app.config_templates import PUSH_TEMPLATES, SMS_TEMPLATES
from app.env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Development-only secrets. ProductionConfig refuses to start while any of these is in use.
DEV_SECRET_KEY = "dev-secret-key-not-for-production"
DEV_DATA_KEY = "ZGV2LWRhdGEta2V5LW5vdC1mb3ItcHJvZHVjdGlvbiE="  # 32 bytes, base64
DEV_WECHAT_SECRET = "fake-wechat-secret"


class Config(ProgrammeSettings):
    """Settings shared by every environment."""

    SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
    DATA_KEY = env_str("DATA_KEY", DEV_DATA_KEY)
    # Rotating DATA_KEY (app/common/crypto.py; docs/OPERATIONS.md, "Rotating the data key"):
    # DATA_KEY is key version 1, DATA_KEYS adds newer ones ("2:<base64>,3:<base64>"), new values
    # are sealed under DATA_KEY_VERSION and every configured version still decrypts. The lookup
    # hashes (finding a person by ID number or phone) never rotate: DATA_HASH_KEY, else DATA_KEY.
    DATA_KEYS = env_str("DATA_KEYS")
    DATA_KEY_VERSION = env_str("DATA_KEY_VERSION", "1")
    DATA_HASH_KEY = env_str("DATA_HASH_KEY")

    SQLALCHEMY_DATABASE_URI = env_str(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'instance' / 'employment_circle.sqlite3'}"
    )
    # The pool pings a connection only after it lay idle, and rolls back only an open transaction
    # (app/db_pool.py): SQLAlchemy's pre-ping and reset-on-return cost every request two round trips.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_reset_on_return": None}
    DATABASE_PING_IDLE_SECONDS = float(env_str("DATABASE_PING_IDLE_SECONDS", "1"))

    # Unset REDIS_URL means an in-process fakeredis (the embedded default).
    REDIS_URL = env_str("REDIS_URL")
    # RQ cannot run on Redis Cluster, so queues may live on a different (Sentinel) Redis.
    QUEUE_REDIS_URL = env_str("QUEUE_REDIS_URL", REDIS_URL)
    RQ_ASYNC = env_bool("RQ_ASYNC", REDIS_URL is not None)
    # A hung Redis must not hold requests: seconds a command may wait for its answer and a
    # connection for its handshake (redis-py's default is 5 s, retried), how long no one asks
    # a Redis that just failed (the circuit breaker), and /healthz's own ping timeout.
    REDIS_SOCKET_TIMEOUT = float(env_str("REDIS_SOCKET_TIMEOUT", "0.5"))
    REDIS_CONNECT_TIMEOUT = float(env_str("REDIS_CONNECT_TIMEOUT", "0.5"))
    REDIS_BREAKER_SECONDS = float(env_str("REDIS_BREAKER_SECONDS", "5"))
    REDIS_HEALTH_TIMEOUT = float(env_str("REDIS_HEALTH_TIMEOUT", "0.25"))
    # The database gone for a moment (a failover: 2003/2006/2013, Galera's 1047) answers 503
    # `database_unavailable` with this Retry-After; a write aborted twice by a deadlock or a Galera
    # certification failure (1213) answers `database_busy` with the shorter one (app/errors.py).
    DATABASE_RETRY_AFTER_SECONDS = env_int("DATABASE_RETRY_AFTER_SECONDS", 5)
    DATABASE_BUSY_RETRY_AFTER_SECONDS = env_int("DATABASE_BUSY_RETRY_AFTER_SECONDS", 1)
    # /readyz (app/readiness.py, docs/OPERATIONS.md "Ready for traffic: /readyz"): not ready while
    # an RQ queue holds more jobs than this, or a task has waited in the outbox longer than this.
    READY_MAX_QUEUE_DEPTH = env_int("READY_MAX_QUEUE_DEPTH", 5000)
    READY_MAX_OUTBOX_LAG_SECONDS = env_int("READY_MAX_OUTBOX_LAG_SECONDS", 300)

    WECHAT_APPID = env_str("WECHAT_APPID", "wx0000000000fake00")
    WECHAT_SECRET = env_str("WECHAT_SECRET", DEV_WECHAT_SECRET)
    WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com/")
    WECHAT_TIMEOUT_SECONDS = env_int("WECHAT_TIMEOUT_SECONDS", 5)

    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How many reverse proxies set X-Forwarded-For in front of us (0: none, trust nothing).
    PROXY_COUNT = env_int("PROXY_COUNT", 0)
    # Logs (app/request_log.py, docs/OPERATIONS.md "Request ids and logs"): "json" writes one JSON
    # object a line to stderr (for journald and a log shipper), "text" keeps Flask's lines; the
    # level of the root logger (unset: Python's, WARNING). Both redact phone and ID numbers.
    LOG_FORMAT = env_str("LOG_FORMAT", "text")
    LOG_LEVEL = env_str("LOG_LEVEL")

    STAFF_TOKEN_TTL_SECONDS = env_int("STAFF_TOKEN_TTL_SECONDS", 12 * 3600)
    RESIDENT_TOKEN_TTL_SECONDS = env_int("RESIDENT_TOKEN_TTL_SECONDS", 30 * 24 * 3600)
    # Staff login throttle (services/people/throttle.py, sliding windows on Redis; docs/PEOPLE.md):
    # failures per username+address lock that pair out; a looser ceiling per username from
    # anywhere; failures per address over all usernames. Only failures count: a right password
    # gives its slot back, so an office behind one address logs in freely.
    LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
    LOGIN_LOCK_SECONDS = env_int("LOGIN_LOCK_SECONDS", 15 * 60)
    LOGIN_USERNAME_MAX_FAILURES = env_int("LOGIN_USERNAME_MAX_FAILURES", 50)
    LOGIN_USERNAME_WINDOW_SECONDS = env_int("LOGIN_USERNAME_WINDOW_SECONDS", 3600)
    LOGIN_ADDRESS_MAX_FAILURES = env_int("LOGIN_ADDRESS_MAX_FAILURES", 20)
    LOGIN_ADDRESS_WINDOW_SECONDS = env_int("LOGIN_ADDRESS_WINDOW_SECONDS", 10 * 60)
    # Lockouts of these roles (comma-separated) are alerts: an `auth.lockout` event and a WARNING.
    LOGIN_ALERT_ROLES = env_str("LOGIN_ALERT_ROLES", "city_admin,district_admin,township_admin,supervisor")
    PASSWORD_HASH_METHOD = env_str("PASSWORD_HASH_METHOD", "scrypt")
    PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)

    # The staff console (app/console, docs/CONSOLE.md). The cookie holds only a random session id;
    # the console_sessions row decides: idle and absolute timeouts, minutes to pass the second
    # factor after the password, and how often a request may write last_seen_at.
    CONSOLE_IDLE_MINUTES = env_int("CONSOLE_IDLE_MINUTES", 30)
    CONSOLE_ABSOLUTE_HOURS = env_int("CONSOLE_ABSOLUTE_HOURS", 12)
    CONSOLE_PENDING_MINUTES = env_int("CONSOLE_PENDING_MINUTES", 10)
    CONSOLE_TOUCH_SECONDS = env_int("CONSOLE_TOUCH_SECONDS", 60)
    # The issuer an authenticator app shows beside the account name.
    TOTP_ISSUER = env_str("TOTP_ISSUER", "黄山三公里就业圈")
    SESSION_COOKIE_NAME = "console_session"
    # Only the console uses the cookie session: the API never receives the cookie at all.
    SESSION_COOKIE_PATH = "/console"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    # CSRF (Flask-WTF) guards the console only: its blueprint calls csrf.protect() itself, so the
    # JSON API (bearer tokens, no cookies) is not checked. A token lives as long as a session can.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_TIME_LIMIT = CONSOLE_ABSOLUTE_HOURS * 3600

    DEMO_ACCOUNTS = False
    DEMO_PASSWORD = env_str("DEMO_PASSWORD", "demo-pass-2026")
    # The demo city and district admins' TOTP secret (base32), enrolled by `flask dev-setup` and
    # printed by `make run`; like the password, only where DEMO_ACCOUNTS is on.
    DEMO_TOTP_SECRET = env_str("DEMO_TOTP_SECRET", "HUANGSHANDEMOTOTP3KMCIRCLE234567")

    # Uploaded files (résumés, business licences) live here, under server-generated names.
    STORAGE_DIR = env_str("STORAGE_DIR", str(BASE_DIR / "instance" / "storage"))
    UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    RESUME_FILES_MAX = env_int("RESUME_FILES_MAX", 5)
    # A request may be a little larger than the largest file (multipart framing).
    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 11 * 1024 * 1024)

    # Jobs: how long a post stays up, and how many distinct reports hide it for review.
    JOB_VALID_DAYS = env_int("JOB_VALID_DAYS", 30)
    JOB_MAX_VALID_DAYS = env_int("JOB_MAX_VALID_DAYS", 180)
    JOB_REPORTS_TO_HIDE = env_int("JOB_REPORTS_TO_HIDE", 3)
    JOB_CARD_FONT = env_str("JOB_CARD_FONT")  # a CJK font for the job card; else Debian's (docs/JOBS.md)
    # A staff-registered employer's claim code: long enough to pass on at the next visit, and few
    # wrong tries before staff must issue a new one (an 8-character code, so guessing is hopeless).
    EMPLOYER_CLAIM_CODE_DAYS = env_int("EMPLOYER_CLAIM_CODE_DAYS", 30)
    EMPLOYER_CLAIM_MAX_ATTEMPTS = env_int("EMPLOYER_CLAIM_MAX_ATTEMPTS", 5)

    # QR codes: HMAC keys by version ("1:secret,2:secret"; unset: derived from SECRET_KEY),
    # the version new codes are signed with, and how long a rotating code lives.
    QR_KEYS = env_str("QR_KEYS")
    QR_KEY_VERSION = env_int("QR_KEY_VERSION", 1)
    QR_ROTATING_SECONDS = env_int("QR_ROTATING_SECONDS", 30)
    QR_ROTATING_GRACE_SECONDS = env_int("QR_ROTATING_GRACE_SECONDS", 20)
    # Signed links to the live screen and poster pages stay valid this long.
    STATION_PAGE_LINK_SECONDS = env_int("STATION_PAGE_LINK_SECONDS", 16 * 3600)
    # A second check-in at the same place within this many minutes returns the first one.
    CHECK_IN_REPEAT_MINUTES = env_int("CHECK_IN_REPEAT_MINUTES", 30)
    # Event check-in opens this many minutes before the start.
    EVENT_CHECK_IN_EARLY_MINUTES = env_int("EVENT_CHECK_IN_EARLY_MINUTES", 60)
    # `flask demo-data` gives the demo stations office hours; "always" opens them 00:00-24:00
    # every day, for a demo or a client test run at any hour (a queue number every time).
    DEMO_STATION_HOURS = env_str("DEMO_STATION_HOURS", "office")
    # Queue numbers and "today" follow the city's clock.
    LOCAL_TIMEZONE = env_str("LOCAL_TIMEZONE", "Asia/Shanghai")

    # Grid work (the plan's rules): visit days a month, and which visits the phone may send.
    VISIT_DAYS_TARGET = env_int("VISIT_DAYS_TARGET", 10)
    VISIT_FUTURE_MINUTES = env_int("VISIT_FUTURE_MINUTES", 5)
    VISIT_MAX_AGE_DAYS = env_int("VISIT_MAX_AGE_DAYS", 45)
    # How far ahead a grid worker may plan a visit (services/grid/planned_visits.py).
    PLANNED_VISIT_MAX_DAYS = env_int("PLANNED_VISIT_MAX_DAYS", 60)
    VISIT_BATCH_MAX = env_int("VISIT_BATCH_MAX", 100)
    # Working age for zero-employment households (inclusive, in whole years).
    WORKING_AGE_MIN = env_int("WORKING_AGE_MIN", 16)
    WORKING_AGE_MAX = env_int("WORKING_AGE_MAX", 59)
    # A college graduate counts as a key group until this many years after graduating.
    GRADUATE_KEY_GROUP_YEARS = env_int("GRADUATE_KEY_GROUP_YEARS", 2)
    # 失业登记: the registered unemployed keep in touch every N months (a follow-up moves the
    # registration's validity on by N months; none by then ends it); a reminder goes out
    # this many days before (docs/REGISTRATIONS.md).
    UNEMPLOYMENT_FOLLOW_UP_MONTHS = env_int("UNEMPLOYMENT_FOLLOW_UP_MONTHS", 6)
    UNEMPLOYMENT_REMINDER_DAYS = env_int("UNEMPLOYMENT_REMINDER_DAYS", 14)
    # Placement follow-ups (稳岗回访, docs/PLACEMENTS.md): due these many days after a hire or an
    # employment registration's first day; asked and unanswered for PLACEMENT_ANSWER_DAYS, a grid
    # worker's task; one found more than PLACEMENT_LATE_DAYS past its day is not asked any more.
    PLACEMENT_FOLLOW_UP_DAYS = tuple(
        int(days) for days in (env_str("PLACEMENT_FOLLOW_UP_DAYS", "90,180") or "").split(",") if days.strip()
    )
    PLACEMENT_ANSWER_DAYS = env_int("PLACEMENT_ANSWER_DAYS", 7)
    PLACEMENT_LATE_DAYS = env_int("PLACEMENT_LATE_DAYS", 30)
    # Certified key groups (docs/REGISTRATIONS.md): a renewal reminder goes out this many days
    # before a certification's valid_until; an application holds at most this many evidence
    # files; someone unemployed without a break for this many months is long-term unemployed.
    CERTIFICATION_REMINDER_DAYS = env_int("CERTIFICATION_REMINDER_DAYS", 30)
    CERTIFICATION_FILES_MAX = env_int("CERTIFICATION_FILES_MAX", 5)
    LONG_TERM_UNEMPLOYED_MONTHS = env_int("LONG_TERM_UNEMPLOYED_MONTHS", 12)
    # Benefit claims (docs/POLICIES.md, section C): the calendar days each stage may take before
    # the claim shows overdue in the queues (the public notice lasts the version's notice_days
    # instead), and how many files a claim holds.
    CLAIM_STAGE_DAYS = {
        "submitted": env_int("CLAIM_ACCEPT_DAYS", 5),
        "accepted": env_int("CLAIM_FIRST_REVIEW_DAYS", 10),
        "first_reviewed": env_int("CLAIM_SECOND_REVIEW_DAYS", 10),
        "second_reviewed": env_int("CLAIM_NOTICE_START_DAYS", 5),
        "in_notice": env_int("CLAIM_APPROVE_DAYS", 5),
        "approved": env_int("CLAIM_PAY_DAYS", 30),
        "returned": env_int("CLAIM_RESUBMIT_DAYS", 30),
    }
    CLAIM_FILES_MAX = env_int("CLAIM_FILES_MAX", 10)
    HOUSEHOLD_IMPORT_MAX_ROWS = env_int("HOUSEHOLD_IMPORT_MAX_ROWS", 20000)
    # After a deletion request, a ledger record (就业失业登记, the status history) is kept this many
    # years for the statutory duty it serves, then anonymised (docs/PEOPLE.md, "Consent"); the
    # city's archive rules set the figure: 30 is a placeholder to confirm with them.
    LEDGER_RETENTION_YEARS = env_int("LEDGER_RETENTION_YEARS", 30)

    # Exports (services/exports, docs/EXPORTS.md): files are written here; up to this many rows
    # are written during the request, more by the task `exports.run_export`; a finished file's
    # link works this long, then the purge deletes it; a task not finished after this long died.
    EXPORT_DIR = env_str("EXPORT_DIR", str(BASE_DIR / "instance" / "exports"))
    EXPORT_INLINE_MAX_ROWS = env_int("EXPORT_INLINE_MAX_ROWS", 10000)
    EXPORT_LINK_TTL_MINUTES = env_int("EXPORT_LINK_TTL_MINUTES", 60)
    EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 120)

    # Push (WeChat subscribe messages) and SMS: the templates of each kind (app/config_templates.py).
    PUSH_TEMPLATES = PUSH_TEMPLATES
    # Nearby search from each process's in-memory job board (services/job_board.py); off, it
    # answers from Redis GEO and SQL as recommendations do.
    JOB_BOARD = env_bool("JOB_BOARD", True)
    # How often a board asks the database which jobs changed, bounding how long a change whose
    # Redis note was lost stays wrong in search.
    JOB_BOARD_RECHECK_SECONDS = env_int("JOB_BOARD_RECHECK_SECONDS", 60)
    # How long a board answers without asking Redis for changes made by other processes (its
    # own process's changes it sees at once): one round trip saved on most searches.
    JOB_BOARD_SYNC_SECONDS = float(env_str("JOB_BOARD_SYNC_SECONDS", "0.2"))
    PUSH_DAILY_CAP = env_int("PUSH_DAILY_CAP", 3)
    PUSH_QUIET_START = env_str("PUSH_QUIET_START", "21:00")
    PUSH_QUIET_END = env_str("PUSH_QUIET_END", "08:00")
    # Sends per second across every worker (WeChat limits a mini-program's sending rate).
    PUSH_QPS = env_int("PUSH_QPS", 50)
    # Seekers this close to a new job are weighed; each seeker's own radius then applies.
    PUSH_SEARCH_RADIUS_M = env_int("PUSH_SEARCH_RADIUS_M", 10_000)
    PUSH_BATCH = env_int("PUSH_BATCH", 500)
    # Pushes one send job takes (services/push/batch_send.py), and WeChat calls it makes at once.
    PUSH_SEND_BATCH = env_int("PUSH_SEND_BATCH", 100)
    WECHAT_SEND_CONCURRENCY = env_int("WECHAT_SEND_CONCURRENCY", 8)
    PUSH_MAX_ATTEMPTS = env_int("PUSH_MAX_ATTEMPTS", 5)
    # The sweeper of stuck sends (services/push/sweeper.py, every minute): a push `sending` this
    # long lost its worker; one pending or scheduled this long past due lost its queued job
    # (Redis emptied); pushes of the city's last PUSH_SWEEP_DAYS days are looked at.
    PUSH_STUCK_MINUTES = env_int("PUSH_STUCK_MINUTES", 10)
    PUSH_LOST_MINUTES = env_int("PUSH_LOST_MINUTES", 60)
    PUSH_SWEEP_DAYS = env_int("PUSH_SWEEP_DAYS", 2)

    # SMS, the second channel (app/sms, services/push/sms_send.py, docs/PUSH.md). Each template's
    # "sms" above: off, fallback (when WeChat cannot: no account, no quota) or first (SMS before
    # WeChat). The provider: fake (the local gateway at SMS_API_BASE), aliyun, tencent or none (no
    # SMS: every template's mode counts as off; production's default until a provider is set); its
    # credentials from the environment; SMS_API_BASE, when set, replaces the provider's endpoint.
    SMS_PROVIDER = env_str("SMS_PROVIDER", "fake")
    SMS_API_BASE = env_str("SMS_API_BASE", "")
    SMS_TIMEOUT_SECONDS = float(env_str("SMS_TIMEOUT_SECONDS", "5"))
    SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "黄山就业圈")
    ALIBABA_CLOUD_ACCESS_KEY_ID = env_str("ALIBABA_CLOUD_ACCESS_KEY_ID", "fake-key-id")
    ALIBABA_CLOUD_ACCESS_KEY_SECRET = env_str("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "fake-key-secret")
    TENCENTCLOUD_SECRET_ID = env_str("TENCENTCLOUD_SECRET_ID", "fake-secret-id")
    TENCENTCLOUD_SECRET_KEY = env_str("TENCENTCLOUD_SECRET_KEY", "fake-secret-key")
    SMS_SDK_APP_ID = env_str("SMS_SDK_APP_ID", "1400000000")
    SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
    # SMS sent to one phone in a city day, whatever the kinds; the price of one SMS part (fen).
    SMS_DAILY_PER_PHONE = env_int("SMS_DAILY_PER_PHONE", 5)
    SMS_PRICE_FEN = env_int("SMS_PRICE_FEN", 4)
    # The token in the receipt and reply callback URLs (…/sms/callbacks/<provider>/<what>?token=);
    # without one every callback is refused.
    SMS_CALLBACK_TOKEN = env_str("SMS_CALLBACK_TOKEN", "")
    SMS_TEMPLATES = SMS_TEMPLATES

    # The outbox (app/queues.py): the periodic flush enqueues rows this many seconds after their
    # commit could not; the committing process (or a flush) holds a row this long; done rows
    # are kept this many days.
    OUTBOX_FLUSH_DELAY_SECONDS = env_int("OUTBOX_FLUSH_DELAY_SECONDS", 30)
    OUTBOX_CLAIM_SECONDS = env_int("OUTBOX_CLAIM_SECONDS", 300)
    OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 7)
    # The provincial exchange's relay (services/exchange/relay.py, docs/EXCHANGE.md): records are
    # written with every change whatever this says; PROVINCE_EXCHANGE on lets the relay send them.
    # Records per upload; seconds before each retry (the last repeats); tries before a record is dead;
    # seconds a batch may stay `sending` before the sweep takes it back (a worker that died).
    PROVINCE_EXCHANGE = env_bool("PROVINCE_EXCHANGE", False)
    PROVINCE_BATCH = env_int("PROVINCE_BATCH", 100)
    EXCHANGE_RETRY_SECONDS = tuple(
        int(s) for s in env_str("EXCHANGE_RETRY_SECONDS", "30,60,300,900,3600").split(",") if s.strip()
    )
    EXCHANGE_MAX_ATTEMPTS = env_int("EXCHANGE_MAX_ATTEMPTS", 50)
    EXCHANGE_CLAIM_SECONDS = env_int("EXCHANGE_CLAIM_SECONDS", 300)
    # The province's exchange API (app/province, docs/EXCHANGE.md): its base URL, our client id and
    # the HMAC secret that signs each request, seconds before a call counts as failed. The defaults
    # are the local fake's (python -m app.province.fake, port 5003); production refuses them.
    PROVINCE_API_BASE = env_str("PROVINCE_API_BASE", "http://127.0.0.1:5003/")
    PROVINCE_CLIENT_ID = env_str("PROVINCE_CLIENT_ID", "hs-dev-client")
    PROVINCE_SECRET = env_str("PROVINCE_SECRET", "dev-province-secret")
    PROVINCE_TIMEOUT_SECONDS = float(env_str("PROVINCE_TIMEOUT_SECONDS", "10"))
    # Scheduled work inside the API process (app/tasks/scheduler.py) for the embedded mode, where
    # no worker or `flask cron` runs: on in development without REDIS_URL; seconds between looks.
    EMBEDDED_SCHEDULER = False
    EMBEDDED_SCHEDULER_SECONDS = float(env_str("EMBEDDED_SCHEDULER_SECONDS", "5"))
    # Statistics (services/stats/cache.py): seconds a computed section of a place and month is kept
    # in Redis and answered again (0: always computed).
    STATS_CACHE_SECONDS = env_int("STATS_CACHE_SECONDS", 60)
    # Prometheus metrics at /metrics (app/metrics.py, docs/OPERATIONS.md "Metrics"): not served (404)
    # until METRICS_TOKEN is set; then a scrape sends it as a Bearer token (403 otherwise) from an
    # address in METRICS_NETWORKS (comma-separated networks; empty: any; else 404). Today's push
    # counts are read from the database at most once per METRICS_CACHE_SECONDS in each process.
    METRICS_TOKEN = env_str("METRICS_TOKEN", "")
    METRICS_NETWORKS = env_str("METRICS_NETWORKS", "127.0.0.0/8,::1,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16")
    METRICS_CACHE_SECONDS = float(env_str("METRICS_CACHE_SECONDS", "15"))

    API_TITLE = "Huangshan 3-km employment circle API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class DevelopmentConfig(Config):
    """The embedded default: SQLite file, fakeredis, jobs inline, local fake WeChat."""

    DEBUG = False
    WECHAT_API_BASE = env_str("WECHAT_API_BASE", "http://127.0.0.1:5001/")
    SMS_API_BASE = env_str("SMS_API_BASE", "http://127.0.0.1:5002/")
    SMS_CALLBACK_TOKEN = env_str("SMS_CALLBACK_TOKEN", "dev-sms-token")
    # `make run` starts the fake province on :5003: records go to it.
    PROVINCE_EXCHANGE = env_bool("PROVINCE_EXCHANGE", True)
    # Nothing else runs scheduled work on the in-process fakeredis: the API process does.
    EMBEDDED_SCHEDULER = env_bool("EMBEDDED_SCHEDULER", Config.REDIS_URL is None)
    # Links (QR codes, live screen, poster) point at the port this instance serves on
    # (`make run` exports PORT), not at another instance's 5000.
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 5000)}")
    # No quiet hours unless PUSH_QUIET_START is set (start == end: never quiet), so a demo's
    # push arrives at any hour instead of waiting for the morning.
    PUSH_QUIET_START = env_str("PUSH_QUIET_START", Config.PUSH_QUIET_END)
    DEMO_ACCOUNTS = True
    # `make run` serves plain http on 127.0.0.1: a Secure cookie would never come back.
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)


class TestingConfig(Config):
    """Tests: a database and Redis chosen by the test fixtures, fast password hashing."""

    TESTING = True
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    REDIS_URL = None
    QUEUE_REDIS_URL = None
    RQ_ASYNC = False
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WECHAT_API_BASE = "http://127.0.0.1:9/"
    SMS_API_BASE = "http://127.0.0.1:9/"
    SMS_TIMEOUT_SECONDS = 2.0
    SMS_CALLBACK_TOKEN = "test-sms-token"
    WECHAT_TIMEOUT_SECONDS = 2
    # Tests play other processes by writing to Redis or the database directly: ask every time.
    JOB_BOARD_SYNC_SECONDS = 0.0
    # Every test logs in from 127.0.0.1 (fuzzing /auth/login too): the address window is not in
    # their way; tests/people/test_login_throttle.py sets the limits it tests.
    LOGIN_ADDRESS_MAX_FAILURES = 1000
    # The test client and the browser tests' live server speak plain http.
    SESSION_COOKIE_SECURE = False


def _sms_problems(config: dict) -> list[str]:
    """Say what keeps the SMS settings from production: a real provider with its keys, or none at all."""
    modes = [
        f"PUSH_SMS_{key.upper()} must be off, fallback or first"
        for key, template in config.get("PUSH_TEMPLATES", {}).items()
        if template.get("sms", "off") not in ("off", "fallback", "first")
    ]
    provider = config.get("SMS_PROVIDER")
    if provider == "none":
        return modes
    if provider not in ("aliyun", "tencent"):
        return [*modes, "SMS_PROVIDER must be aliyun, tencent or none (the fake is for development only)"]
    keys = {
        "aliyun": ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        "tencent": ("TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "SMS_SDK_APP_ID"),
    }[provider]
    problems = modes + [f"{key} must be set" for key in keys if str(config.get(key, "")).startswith("fake-")]
    if provider == "tencent" and config.get("SMS_SDK_APP_ID") == "1400000000":
        problems.append("SMS_SDK_APP_ID must be set")
    if not config.get("SMS_CALLBACK_TOKEN"):
        problems.append(
            "SMS_CALLBACK_TOKEN must be set (delivery receipts and replies are refused without it)"
        )
    return problems


def _province_problems(config: dict) -> list[str]:
    """Say what keeps the exchange from production once switched on: the fake's address or credentials."""
    if not config.get("PROVINCE_EXCHANGE"):
        return []  # records wait in the outbox until the province's credentials are set
    base = str(config.get("PROVINCE_API_BASE") or "")
    problems = []
    if not base.startswith("https://"):
        problems.append("PROVINCE_API_BASE must be the province's https address (not the development fake)")
    if config.get("PROVINCE_CLIENT_ID") in (None, "", "hs-dev-client"):
        problems.append("PROVINCE_CLIENT_ID must be set")
    if config.get("PROVINCE_SECRET") in (None, "", "dev-province-secret"):
        problems.append("PROVINCE_SECRET must be set")
    return problems


def _data_key_problems(config: dict) -> list[str]:
    """Say what keeps the personal-data keys from production: none, the development key, malformed ones."""
    if not config.get("DATA_KEY") and not config.get("DATA_HASH_KEY"):
        return ["DATA_KEY must be set (32 random bytes, base64)"]
    listed = [entry.partition(":")[2].strip() for entry in (config.get("DATA_KEYS") or "").split(",")]
    problems = []
    if DEV_DATA_KEY in (config.get("DATA_KEY"), config.get("DATA_HASH_KEY"), *listed):
        problems.append("DATA_KEY must be set (32 random bytes, base64): the development key is configured")
    return problems + key_problems(config)


class ProductionConfig(Config):
    """Production: MySQL-compatible database, real Redis, real WeChat, real secrets."""

    # No development default: unset means no version 1 (dropped after a rotation, DATA_HASH_KEY
    # then holding its value for the lookup hashes), and the check below says what is missing.
    DATA_KEY = env_str("DATA_KEY")
    WECHAT_APPID = env_str("WECHAT_APPID")
    WECHAT_SECRET = env_str("WECHAT_SECRET")
    RQ_ASYNC = env_bool("RQ_ASYNC", True)
    # No SMS unless a provider is named (none: WeChat only; nothing falls back to SMS).
    SMS_PROVIDER = env_str("SMS_PROVIDER", "none")
    # One JSON object a line, with the request id and the access line of every request.
    LOG_FORMAT = env_str("LOG_FORMAT", "json")
    LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

    @classmethod
    def check(cls, config: dict) -> None:
        """Refuse to start with development secrets, SQLite or fakeredis."""
        problems = []
        if config.get("SECRET_KEY") in (None, DEV_SECRET_KEY) or len(config["SECRET_KEY"]) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        problems += _data_key_problems(config)
        if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
            problems.append("DATABASE_URL must point at MySQL/MariaDB/TiDB, not SQLite")
        if not config.get("REDIS_URL"):
            problems.append("REDIS_URL must be set (fakeredis is for development only)")
        if not config.get("WECHAT_APPID") or config.get("WECHAT_SECRET") in (None, DEV_WECHAT_SECRET):
            problems.append("WECHAT_APPID and WECHAT_SECRET must be set")
        problems += _sms_problems(config)
        problems += _province_problems(config)
        if problems:
            raise RuntimeError("Refusing to start in production: " + "; ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
