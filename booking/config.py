"""Settings read from the environment, in one place (docs/contract.md names them)."""

import os
import secrets
from pathlib import Path

TRANSLATIONS = Path(__file__).parent / "translations"
RATE_LIMIT_SETTINGS = ("WEB_CODE_LIMIT_PER_IP", "WEB_BOOKING_LIMIT_PER_IP", "API_CODE_LIMIT_PER_IP",
                       "API_BOOKING_LIMIT_PER_IP", "API_AVAILABILITY_LIMIT_PER_IP", "WEB_AVAILABILITY_LIMIT_PER_IP",
                       "PHONE_ATTEMPT_LIMIT", "PERSON_ATTEMPT_LIMIT")


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def availability_cache_url() -> str | None:
    """AVAILABILITY_CACHE_URL; unset, the rate limits' Redis when they have one (a deployment
    that runs Redis shares answers without another setting); `none` shares nothing."""
    value = os.environ.get("AVAILABILITY_CACHE_URL", "").strip()
    if value.lower() == "none":
        return None
    if value:
        return value
    limits = os.environ.get("RATELIMIT_STORAGE_URI", "")
    return limits if limits.startswith(("redis://", "rediss://", "unix://")) else None


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once into the instance folder."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'booking.db'}"
    # Heroku-style URLs name the driver "postgres"; we use psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path: str) -> dict:
    """Configuration for create_app(); tests pass overrides on top of it."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    return {
        **_operations(),  # appended below: metrics, logs, slots kept ahead
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "PUBLIC_BASE_URL": (os.environ.get("PUBLIC_BASE_URL") or "").rstrip("/") or None,
        # Links made outside a request without PUBLIC_BASE_URL (the SMS worker under `make run`):
        # the port the development server serves, which `flask run` also reads.
        "LOCAL_BASE_URL": f"http://127.0.0.1:{os.environ.get('FLASK_RUN_PORT') or 5000}/",
        "SMS_BACKEND": os.environ.get("SMS_BACKEND", "console"),
        "TWILIO_ACCOUNT_SID": os.environ.get("TWILIO_ACCOUNT_SID"),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN"),
        "TWILIO_FROM_NUMBER": os.environ.get("TWILIO_FROM_NUMBER"),
        "TWILIO_MESSAGING_SERVICE_SID": os.environ.get("TWILIO_MESSAGING_SERVICE_SID"),
        "TWILIO_API_BASE_URL": os.environ.get("TWILIO_API_BASE_URL"),
        # Alibaba Cloud SMS (docs/sms.md): the SDK's standard credential names.
        "ALIBABA_CLOUD_ACCESS_KEY_ID": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        "ALIYUN_SMS_SIGN_NAME": os.environ.get("ALIYUN_SMS_SIGN_NAME"),
        "ALIYUN_SMS_TEMPLATES": os.environ.get("ALIYUN_SMS_TEMPLATES"),  # JSON: kind -> code
        "ALIYUN_SMS_ENDPOINT": os.environ.get("ALIYUN_SMS_ENDPOINT"),
        "ALIYUN_SMS_CALLBACK_TOKEN": os.environ.get("ALIYUN_SMS_CALLBACK_TOKEN"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Rate limits in Flask-Limiter's notation; unset, booking/ratelimits.py's defaults hold.
        **{name: os.environ[name] for name in RATE_LIMIT_SETTINGS if os.environ.get(name)},
        # Beyond the contract: sensible defaults, overridable for a deployment.
        "PHONE_DEFAULT_REGION": os.environ.get("PHONE_DEFAULT_REGION", "CN"),
        "MAX_ACTIVE_BOOKINGS_PER_PHONE": int(os.environ.get("MAX_ACTIVE_BOOKINGS_PER_PHONE", "3")),
        "HEALTH_RETENTION_DAYS": int(os.environ.get("HEALTH_RETENTION_DAYS", "28")),
        "BOOKING_RETENTION_DAYS": int(os.environ.get("BOOKING_RETENTION_DAYS", "90")),
        "PROXY_COUNT": int(os.environ.get("PROXY_COUNT", "0")),
        "SMS_DEV_DELIVERY": _flag("SMS_DEV_DELIVERY", False),
        # Code and booking posts a minute above which an office's "auto" challenge is on.
        "CHALLENGE_AUTO_PER_MINUTE": max(1, int(os.environ.get("CHALLENGE_AUTO_PER_MINUTE", "300"))),
        # Local hours: reminders from 18:00 the day before; unconfirmed places released 21:00.
        "SMS_REMINDER_HOUR": int(os.environ.get("SMS_REMINDER_HOUR", "18")),
        "SMS_RELEASE_HOUR": int(os.environ.get("SMS_RELEASE_HOUR", "21")),
        "SMS_SEND_TIMEOUT": float(os.environ.get("SMS_SEND_TIMEOUT", "10")),
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        # One catalogue per area (merged by Flask-Babel), so each area edits only its own.
        "BABEL_TRANSLATION_DIRECTORIES": ";".join(
            str(TRANSLATIONS / area) for area in ("web", "health", "staff")),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Staff passwords' argon2 cost: None is argon2-cffi's defaults (booking/accounts.py). Not
        # read from the environment: only the tests' configuration lowers it, to save time.
        "ARGON2_PARAMETERS": None,
        # Staff sessions end after a working day (hours), and at logout.
        "PERMANENT_SESSION_LIFETIME": 3600 * int(os.environ.get("STAFF_SESSION_HOURS", "8")),
        # How old a GET /api/v1/availability answer may be (0 = always fresh), and the Redis
        # through which processes share answers (booking/microcache.py).
        "AVAILABILITY_CACHE_SECONDS": float(os.environ.get("AVAILABILITY_CACHE_SECONDS", "1")),
        "AVAILABILITY_CACHE_URL": availability_cache_url(),
        "NO_SHOW_GRACE_MINUTES": int(os.environ.get("NO_SHOW_GRACE_MINUTES", "15")),
        # hide_parameters: error messages (and so logs) never carry phone numbers or names.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    }


def _operations() -> dict:
    """Settings for running and watching the service (docs/operations.md)."""
    return {
        # The bearer token that opens /metrics; unset, /metrics answers 404 (the contract).
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # `json`: our log lines as JSON objects (python-json-logger); anything else: plain text.
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text").strip().lower(),
        # The SMS worker keeps this many days of slots ahead of each office's local today,
        # creating the missing ones every minute (0: never; `make run` sets 14 for the demo).
        "SLOTS_AHEAD_DAYS": int(os.environ.get("SLOTS_AHEAD_DAYS", "0")),
    }
