"""Who a staff request is: the session's user (Flask-Login)."""

from .extensions import db, login_manager
from .models import StaffUser


@login_manager.user_loader
def load_user(user_id: str):
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None
