"""Staff pages (/staff/...) and the public hall display (/display/<office code>)."""

from flask import Blueprint
from flask_login import current_user

from ..access import has_role
from ..extensions import login_manager
from ..i18n import LANGUAGES, NAMES, choose, html_lang, request_lang
from . import words

bp = Blueprint("staff", __name__, url_prefix="/staff")
display_bp = Blueprint("display", __name__)

login_manager.login_view = "staff.login"
login_manager.login_message = None  # the login page says what to do


@bp.context_processor
def staff_context():
    lang = request_lang()
    return {"lang": lang, "html_lang": html_lang(lang), "languages": LANGUAGES, "language_names": NAMES,
            "user": current_user,
            "is_supervisor": current_user.is_authenticated and has_role(current_user, "supervisor"),
            "is_bureau": current_user.is_authenticated and current_user.role == "bureau",
            "kind_names": words.kind_names(),
            "level_names": words.level_names(), "id_type_names": words.id_type_names(),
            "refusal_names": words.refusal_names(), "role_names": words.role_names(),
            "actor_names": words.actor_names(), "counter_label": words.counter_label,
            "zone_name": words.zone_name, "waiting_status_names": words.waiting_status_names(),
            "hold_status_names": words.hold_status_names(), "challenge_names": words.challenge_names(),
            "choose": choose}


from . import (  # noqa: E402,F401
    admin_views,
    assisted_views,
    auth_views,
    bureau_views,
    busy_views,
    calendar_views,
    display,
    door_views,
    error_views,
    office_views,
    queue_views,
    report_views,
    rules_views,
    setup_date_views,
    setup_region_views,
    setup_views,
    waiting_views,
    walkin_views,
)
