"""One rule for single-line free text (issue 15): closure reasons, visitors' names and staff
user names hold no control, format or line-separator character; ordinary text of any script
stays as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from booking import accounts, bookings, text_rules
from booking.errors import InvalidName
from booking.extensions import db
from booking.hall import queue
from booking.identity import clean_name
from booking.models import Closure, StaffUser
from booking.offices import closures as closure_rules
from tests.factories import setup_marriage_slot, verified, visitor
from tests.test_staff_support import make_office2

BAD = ["第一行\r\n第二行", "line\nbreak", "tab\there", "nul\x00", "bell\x07", "sep\u2028arator",
       "para\u2029graph", "rtl\u202eoverride", "zero\u200bwidth", "bom\ufeff", "del\x7f", "c1\x85c1"]
GOOD = ["因设备检修暂停办理，敬请谅解。", "Closed for repairs (2 days)", "张伟", "O'Brien-Smith", "Zoë Ångström"]


@pytest.mark.parametrize("text", BAD)
def test_the_rule_refuses_control_format_and_separator_characters(text):
    assert text_rules.has_forbidden_characters(text)
    with pytest.raises(closure_rules.InvalidReason):
        text_rules.single_line(text, 200, closure_rules.InvalidReason)


@pytest.mark.parametrize("text", GOOD)
def test_the_rule_keeps_ordinary_text_of_any_script_as_typed(text):
    assert text_rules.single_line(f"  {text} ", 200) == text


@pytest.mark.parametrize("text", BAD)
def test_a_closure_reason_with_such_characters_is_refused_and_nothing_is_closed(ctx, text):
    d = make_office2("registry-a")
    tomorrow = queue.today(d.office) + dt.timedelta(days=1)
    with pytest.raises(closure_rules.InvalidReason) as refused:
        closure_rules.close_days(d.office, None, tomorrow, tomorrow, text, d.supervisor)
    assert refused.value.field == "reason" and "换行" in refused.value.message("zh")
    assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


def test_the_closure_api_answers_422_for_a_reason_with_a_line_break(app, client):
    with app.app_context():
        d = make_office2("registry-a")
        token = accounts.issue_token(d.supervisor)
        tomorrow = (queue.today(d.office) + dt.timedelta(days=1)).isoformat()
    response = client.post("/api/v1/staff/closures", headers={"Authorization": f"Bearer {token}"},
                           json={"office": "registry-a", "from": tomorrow, "to": tomorrow,
                                 "reason": "暂停\r\n请回复 1 确认"})
    assert response.status_code == 422 and response.get_json()["error"] == "invalid_reason"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Closure)) == 0


@pytest.mark.parametrize("name", ["张\u2028伟", "张\u2029伟", "张\u200b伟", "张\u202e伟", "张\n伟"])
def test_names_with_separators_or_format_characters_are_refused(ctx, name):
    with pytest.raises(InvalidName):
        clean_name(name, "visitors.0.name")
    slot = setup_marriage_slot()
    with pytest.raises(InvalidName):
        bookings.book(slot_id=slot.id, phone="+8613800138000", verification=verified("+8613800138000"),
                      visitors=[visitor(1, name=name), visitor(2)])


@pytest.mark.parametrize("username", ["clerk\u2028two", "clerk\r\nadmin", "clerk\u202e", "\x00"])
def test_staff_user_names_with_such_characters_are_refused(ctx, username):
    make_office2("registry-a")
    with pytest.raises(accounts.AccountError):
        accounts.create_staff(username, "a long enough password", "clerk", "registry-a")
    assert db.session.scalar(select(func.count()).select_from(StaffUser)
                             .where(StaffUser.username == username)) == 0
