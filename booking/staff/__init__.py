"""Staff pages (/staff/...) and the public hall display (/display/<office code>)."""

from flask import Blueprint
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..access import has_role
from ..extensions import login_manager

bp = Blueprint("staff", __name__, url_prefix="/staff")
display_bp = Blueprint("display", __name__)

login_manager.login_view = "staff.login"
login_manager.login_message = None  # the login page says what to do


@bp.context_processor
def staff_context():

    return {"lang": str(get_locale()), "user": current_user,
            "is_supervisor": current_user.is_authenticated and has_role(current_user, "supervisor"),
            "level_names": {"normal": _("Normal"), "heightened": _("Heightened"),
                            "emergency": _("Emergency")},
            "id_type_names": {"resident_id": _("Resident ID card"), "passport": _("Passport"),
                              "hk_macau_permit": _("Hong Kong/Macau permit"),
                              "taiwan_permit": _("Taiwan permit")},
            "refusal_names": {"not_active": _("not active"), "wrong_day": _("wrong day"),
                              "too_early": _("too early"), "too_late": _("too late"),
                              "not_cleared": _("not cleared"), "fever": _("fever"),
                              "hall_full": _("hall full")},
            "role_names": {"clerk": _("Clerk"), "supervisor": _("Supervisor"), "admin": _("Administrator")},
            "waiting_status_names": {"waiting": _("waiting"), "offered": _("offered"),
                                     "claimed": _("claimed"), "expired": _("expired"), "left": _("left")},
            "hold_status_names": {"held": _("held"), "offered": _("offered"), "claimed": _("claimed"),
                                  "released": _("released")},
            "challenge_names": {"off": _("Off"), "days": _("On the popular days"),
                                "always": _("Always on"), "auto": _("Automatic, under load")},
            "actor_names": {"citizen": _("citizen"), "sms": _("SMS reply"), "system": _("system"),
                            "staff": _("staff"), "auto_release": _("system")}}


from . import (  # noqa: E402,F401
    admin_views,
    auth_views,
    display,
    office_views,
    queue_views,
    report_views,
    rules_views,
    waiting_views,
    walkin_views,
)
