"""Who a staff request is: the session's user (Flask-Login), while its session is current.

The session keeps "id.generation" (StaffUser.get_id). Logout, deactivation and a password
change raise the user's generation (accounts.end_sessions), so every session cookie made
before, however copied, stops opening anything at once.
"""

from .extensions import db, login_manager
from .models import StaffUser


@login_manager.user_loader
def load_user(session_id: str):
    """The active user whose id and session generation the session holds; else None."""
    user_id, _, generation = session_id.partition(".")
    if not (user_id.isdigit() and generation.isdigit()):
        return None  # also a cookie from before generations: logged out
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user
