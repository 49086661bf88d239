"""Staff pages (/staff/...) and the public hall display (/display/<office code>)."""

from flask import Blueprint
from flask_babel import gettext as _
from flask_login import current_user

from ..access import has_role
from ..extensions import login_manager
from ..i18n import LANGUAGES, NAMES, html_lang, request_lang

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
            "level_names": {"normal": _("Normal"), "heightened": _("Heightened"),
                            "emergency": _("Emergency")},
            "id_type_names": {"resident_id": _("Resident ID card"),
                              "residence_permit": _("HK/Macao/Taiwan residence permit"),
                              "hk_mo_permit": _("Hong Kong/Macau permit"),
                              "tw_permit": _("Taiwan permit"),
                              "foreign_permanent_id": _("Foreign permanent residence ID"),
                              "passport": _("Passport")},
            "refusal_names": {"not_active": _("not active"), "wrong_day": _("wrong day"),
                              "too_early": _("too early"), "too_late": _("too late"),
                              "not_cleared": _("not cleared"), "fever": _("fever"),
                              "hall_full": _("hall full")},
            "role_names": {"clerk": _("Clerk"), "supervisor": _("Supervisor"), "admin": _("Administrator")},
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
    walkin_views,
)
