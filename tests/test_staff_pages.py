"""Staff pages through the test client: login, sessions, the queue page, reports, the audit
trail, the calendar feed. Requests run outside any app context (each has its own, as live)."""

from __future__ import annotations

import datetime as dt
import re
import time
from types import SimpleNamespace

import pytest
import vobject
from sqlalchemy import select

from booking import accounts
from booking.extensions import db
from booking.models import AuditEvent, Booking, HealthDeclaration, StaffUser
from tests.factories import resident_id
from tests.test_staff_support import PASSWORD, admin, book, clear, make_office2


@pytest.fixture
def day(app):
    with app.app_context():
        d = make_office2("registry-a")
        cleared = book(d.running, [1, 2])
        clear(cleared)
        book(d.tomorrow, [3, 4])
        return SimpleNamespace(code=d.office.code, cleared=cleared.reference, phone=cleared.phone,
                               token=accounts.issue_token(d.clerk),
                               feed=accounts.issue_token(d.clerk, "feed"))


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def login(client, username="clerk-registry-a", password=PASSWORD, **kwargs):
    token = csrf(client.get("/staff/login").get_data(as_text=True))
    return client.post("/staff/login", data={"username": username, "password": password,
                                             "csrf_token": token}, **kwargs)


def test_login_lands_on_the_own_office_queue_and_logout_ends_the_session(client, day):
    response = login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/registry-a/queue")
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    client.post("/staff/logout", data={"csrf_token": csrf(page)})
    assert client.get("/staff/registry-a/queue").status_code == 302


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, day):
    for username in ("clerk-registry-a", "nobody"):
        response = login(client, username, "wrong password!")
        assert response.status_code == 401 and "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/staff/registry-a/queue").status_code == 302


def test_login_is_rate_limited_per_address_and_per_user_name(app, day):
    client = app.test_client()
    statuses = [login(client, "clerk-registry-a", "wrong").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429
    other = app.test_client()
    spread = [login(other, "super-registry-a", "wrong", environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code
              for i in range(11)]
    assert spread[10] == 429  # one account attacked from many addresses is slowed too


def test_login_does_not_redirect_to_another_site(client, day):
    token = csrf(client.get("/staff/login").get_data(as_text=True))
    response = client.post("/staff/login?next=//evil.example/x", data={
        "username": "clerk-registry-a", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/staff/registry-a/queue"


def test_sessions_expire(app, day):
    app.config["PERMANENT_SESSION_LIFETIME"] = 1
    client = app.test_client()
    login(client)
    assert client.get("/staff/registry-a/queue").status_code == 200
    time.sleep(2.1)
    assert client.get("/staff/registry-a/queue").status_code == 302


def test_the_default_session_lasts_a_working_day(app):
    assert app.permanent_session_lifetime.total_seconds() == 8 * 3600


def test_the_queue_shows_masked_identities_and_health_clearance(client, day):
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    assert day.cleared in page and "健康申报通过" in page
    assert resident_id(1) not in page and resident_id(1)[-4:] in page
    assert day.phone not in page


def test_check_in_from_the_page_with_a_bad_temperature_changes_nothing(app, client, day):
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    response = client.post("/staff/registry-a/check-in", follow_redirects=True, data={
        "csrf_token": csrf(page), "reference": day.cleared, "temperature": ["36.5", "hot"]})
    assert response.status_code == 200 and "30–45" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.reference == day.cleared)) == "booked"


def test_every_staff_action_is_in_the_audit_trail_with_who_did_it(app, client, day):
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    client.post("/staff/registry-a/check-in", data={"csrf_token": csrf(page), "reference": day.cleared,
                                                    "temperature": ["36.5", "36.6"]})
    client.post("/staff/registry-a/call-next", data={"csrf_token": csrf(page), "counter": "3"})
    with app.app_context():
        events = db.session.execute(select(AuditEvent.action, AuditEvent.staff_user_id)
                                    .where(AuditEvent.action.in_(("checked_in", "called")))).all()
    assert sorted(a for a, _ in events) == ["called", "checked_in"] and all(s for _, s in events)
    supervisor = app.test_client()
    login(supervisor, "super-registry-a")
    trail = supervisor.get(f"/staff/registry-a/audit?reference={day.cleared}").get_data(as_text=True)
    assert "clerk-registry-a" in trail and "已签到" in trail and "已叫号" in trail
    # Events and details in words, never the stored codes.
    assert "checked_in" not in trail, trail[trail.find("checked_in") - 300:trail.find("checked_in") + 100]
    assert "排队号：J001" in trail and "窗口：3" in trail
    english = supervisor.get(f"/staff/registry-a/audit?reference={day.cleared}&lang=en").get_data(as_text=True)
    assert "Checked in" in english and "Called to a counter" in english and "ticket: J001" in english


def test_the_reports_page_has_a_chart_and_a_csv(client, day):
    login(client, "super-registry-a")
    page = client.get("/staff/registry-a/reports").get_data(as_text=True)
    assert "<svg" in page and page.count("<rect") == 24 and "按人数计" in page
    csv = client.get("/staff/registry-a/reports.csv")
    assert csv.mimetype == "text/csv" and csv.get_data(as_text=True).count("\n") == 3
    week = client.get("/staff/registry-a/reports?from=2030-01-01&to=2030-01-07").get_data(as_text=True)
    assert week.count('class="card report-day"') == 8  # the seven days and their total
    assert client.get("/staff/registry-a/reports?from=garbage").status_code == 200


def test_the_calendar_feed_lists_the_days_without_identity_data(client, day):
    response = client.get(f"/staff/registry-a/calendar.ics?token={day.feed}")
    assert response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    cal = vobject.readOne(text, validate=True)
    assert len(cal.vevent_list) == 2  # the running slot and tomorrow's
    assert all("1/10 (2 人" in event.summary.value for event in cal.vevent_list)
    # The masked form ends "*0017": a bare "0017" could be a time of day in the feed.
    for secret in (resident_id(1), "*" + resident_id(1)[-4:], "张伟", day.phone, day.cleared):
        assert secret not in text


def test_the_hall_display_is_public_and_keeps_its_script_in_a_file(client, day):
    page = client.get("/display/registry-a").get_data(as_text=True)
    assert "正在叫号" in page and re.findall(r"<script(?![^>]*\bsrc=)", page) == []
    state = client.get("/api/v1/display/registry-a").get_json()
    assert state["calling"] == [] and state["limit"] == 30 and state["occupancy"] == 0
    missing = client.get("/display/nowhere")  # a display set up with a mistyped office code
    assert missing.status_code == 404 and "找不到该页面、办事处或预约" in missing.get_data(as_text=True)
    assert client.get("/api/v1/display/nowhere").status_code == 404


def test_an_administrator_creates_and_deactivates_accounts(app, day):
    with app.app_context():
        admin()
    boss, clerk = app.test_client(), app.test_client()
    login(boss, "admin")
    login(clerk)
    page = boss.get("/staff/admin/accounts").get_data(as_text=True)
    response = boss.post("/staff/admin/accounts", follow_redirects=True, data={
        "csrf_token": csrf(page), "username": "new-clerk", "role": "clerk", "office": "registry-a",
        "password": "short"})
    assert "10" in response.get_data(as_text=True)  # too short: refused, with the reason
    boss.post("/staff/admin/accounts", data={"csrf_token": csrf(page), "username": "new-clerk",
                                             "role": "clerk", "office": "registry-a", "password": PASSWORD})
    assert login(app.test_client(), "new-clerk").status_code == 302
    with app.app_context():
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.username == "clerk-registry-a"))
    boss.post(f"/staff/admin/accounts/{user_id}/deactivate", data={"csrf_token": csrf(page)})
    assert clerk.get("/staff/registry-a/queue").status_code == 302  # the open session ends
    assert clerk.get("/api/v1/staff/queue?office=registry-a",
                     headers={"Authorization": f"Bearer {day.token}"}).status_code == 401
    assert login(app.test_client()).status_code == 401


def test_the_chosen_language_survives_login_and_english_pages_read_in_english(client, day):
    client.get("/staff/login?lang=en")
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    assert "Call next" in page and "In the hall: 0 of 30 people" in page and "叫下一号" not in page


def test_staff_error_pages_speak_the_clerks_language(client, day):
    login(client)
    forbidden = client.get("/staff/registry-a/capacity")  # a supervisor's page
    assert forbidden.status_code == 403 and "您的账号无权访问此页" in forbidden.get_data(as_text=True)
    missing = client.get("/staff/registry-a/bookings/NOSUCHREF/no-show?lang=en")
    assert missing.status_code in (302, 404)
    nowhere = client.get("/staff/registry-a/no-such-page?lang=zh")
    assert nowhere.status_code == 404 and "找不到该页面" in nowhere.get_data(as_text=True)
    english = client.get("/staff/registry-a/capacity?lang=en").get_data(as_text=True)
    assert "Not for your account" in english and "Forbidden" not in english


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"


def test_the_walk_in_form_preselects_no_answer(client, day):
    login(client)
    page = client.get("/staff/registry-a/walk-in?service=marriage").get_data(as_text=True)
    form = page[page.index('id="walk-in-form"'):]  # the service chosen above is the only choice made
    assert 'id="name1"' in form and not re.search(r"\s(checked|selected)[\s>]", form)
    assert '<option value="">请选择…</option>' in page


def another_booking_in_the_running_slot(app, day) -> str:
    """The reference of a second, uncleared booking beside day.cleared."""
    with app.app_context():
        slot = db.session.scalar(select(Booking).where(Booking.reference == day.cleared)).slot
        return book(slot, [5, 6]).reference


def test_a_declaration_taken_at_the_door_says_taken_by_staff(app, client, day):
    uncleared = another_booking_in_the_running_slot(app, day)
    login(client)
    page = client.get(f"/staff/registry-a/bookings/{uncleared}/declare").get_data(as_text=True)
    assert not re.search(r"\s(checked|selected)[\s>]", page)
    answers = {"csrf_token": csrf(page), "visitor": ["0", "1"]}
    for i in (0, 1):
        answers.update({f"symptoms{i}": "no", f"travel{i}": "no", f"contact{i}": "no",
                        f"health_code{i}": "green", f"temperature{i}": "36.5"})
    unanswered = client.post(f"/staff/registry-a/bookings/{uncleared}/declare",
                             data={**answers, "travel1": ""}, follow_redirects=True)
    assert "办事人 2·风险地区：请选择“是”或“否”。" in unanswered.get_data(as_text=True) or \
        "办事人 2·风险地区：请回答此项。" in unanswered.get_data(as_text=True)
    done = client.post(f"/staff/registry-a/bookings/{uncleared}/declare", data=answers, follow_redirects=True)
    assert "已记录工作人员代填的健康申报" in done.get_data(as_text=True)
    with app.app_context():
        clerk = db.session.scalar(select(StaffUser).where(StaffUser.username == "clerk-registry-a"))
        rows = db.session.scalars(select(HealthDeclaration).join(Booking)
                                  .where(Booking.reference == uncleared)).all()
        assert [(r.source, r.taken_by_id) for r in rows] == [("staff", clerk.id)] * 2
    supervisor = client.application.test_client()
    login(supervisor, "super-registry-a")
    trail = supervisor.get(f"/staff/registry-a/audit?reference={uncleared}").get_data(as_text=True)
    assert "健康申报通过" in trail and "工作人员代填" in trail


def test_call_next_remembers_the_chosen_counter_for_the_staff_session(app, client, day):
    from booking.models import Office
    with app.app_context():
        db.session.scalar(select(Office).where(Office.code == "registry-a")).counters = "1号窗口\n2号窗口\n3号窗口"
        db.session.commit()
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    client.post("/staff/registry-a/check-in", data={"csrf_token": csrf(page), "reference": day.cleared,
                                                    "temperature": ["36.5", "36.6"]})
    for _ in range(2):  # one ticket called, then none waiting: the choice stays either way
        client.post("/staff/registry-a/call-next", data={"csrf_token": csrf(page), "counter": "2号窗口"})
        page = client.get("/staff/registry-a/queue").get_data(as_text=True)
        assert re.search(r'<option value="2号窗口"\s+selected>', page), page[page.find('id="counter"'):][:400]
    other = app.test_client()  # another clerk's session chooses for itself
    login(other)
    fresh = other.get("/staff/registry-a/queue").get_data(as_text=True)
    assert not re.search(r'<option value="2号窗口"\s+selected>', fresh)


def test_the_audit_page_says_everything_in_words_and_names_the_clerk_of_a_walk_in(app, client, day):
    """Slot changes by their time, settings changes as "field: before → after", codes in words,
    never a Python dict, a slot id or a stored code; a walk-in booked by the clerk's account."""
    from booking import bookings
    from booking.hall import walkins
    from booking.health import rules
    from booking.models import Service, Slot
    from booking.offices import admin as office_admin
    from booking.waiting import board
    from tests.factories import visitor
    from tests.test_staff_support import declaration, new_phone, tomorrow_slot
    with app.app_context():
        clerk, boss = (db.session.scalar(select(StaffUser).where(StaffUser.username == name))
                       for name in ("clerk-registry-a", "super-registry-a"))
        service = db.session.scalar(select(Service))
        walkins.walk_in(clerk.office, service, phone=new_phone(), visitors=[visitor(7), visitor(8)],
                        temperatures=[36.4, 36.7], declarations=[declaration(0), declaration(1)], staff=clerk)
        slot = db.session.scalar(select(Slot).order_by(Slot.starts_at.desc()))
        office_admin.set_slot_capacity(slot, 5, 10, boss)
        board.save_settings(clerk.office, claim_minutes=20, holdback_minutes=5, challenge="days",
                            challenge_days="2027-05-20", staff=boss)
        rules.update_rules(service, {"temperature_limit_c": 37.5}, None)
        moved = db.session.scalar(select(Booking).where(Booking.reference == day.cleared))
        start = slot.starts_at + dt.timedelta(hours=5)
        later = tomorrow_slot(service, starts_at=start, ends_at=start + dt.timedelta(minutes=30))
        db.session.commit()
        bookings.reschedule(moved, later.id)
        tz = service.office.tz
        slot_times = [s.starts_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") for s in (slot, later)]
    login(client, "super-registry-a")
    for lang, words in (("zh", ["现场加号", "clerk-registry-a", "37.3 → 37.5", "领取时限"]),
                        ("en", ["Walk-in", "clerk-registry-a", "37.3 → 37.5", "claim"])):
        page = client.get(f"/staff/registry-a/audit?lang={lang}").get_data(as_text=True)
        trail = page[page.index("<tbody>"):page.index("</tbody>")]
        assert all(word in trail for word in words), (lang, trail)
        for raw in ("{", "}", "[", "_slot", "rationing_changed", "temperature_limit_c", "claim_minutes",
                    "changes", "&#39;"):
            assert raw not in trail, (lang, raw, trail)
        assert all(time in trail for time in slot_times), (slot_times, trail)  # slots by their time
        booked_by = re.search(r"<td[^>]*>([^<]*)</td>\s*<td[^>]*>(?:已预约|Booked)</td>", trail)
        assert booked_by and booked_by.group(1) == "clerk-registry-a", trail


def test_a_fever_refusal_leaves_a_mark_on_the_queue_card(app, client, day):
    login(client)
    page = client.get("/staff/registry-a/queue").get_data(as_text=True)
    client.post("/staff/registry-a/check-in", data={"csrf_token": csrf(page), "reference": day.cleared,
                                                    "temperature": ["37.8", "36.5"]})
    page = client.get(f"/staff/registry-a/queue?q={day.cleared}").get_data(as_text=True)
    card = page[page.index(f'data-reference="{day.cleared}"'):]
    card = card[:card.index("</article>")]
    assert "门口拒绝：体温异常 (37.8 °C)" in card, card
    with app.app_context():
        assert db.session.scalar(select(Booking.status).where(Booking.reference == day.cleared)) == "booked"


def test_a_declaration_taken_by_staff_asks_the_temperature_once(app, client, day):
    """The temperature measured for the declaration fills the check-in: nobody types it twice."""
    uncleared = another_booking_in_the_running_slot(app, day)
    login(client)
    page = client.get(f"/staff/registry-a/bookings/{uncleared}/declare").get_data(as_text=True)
    answers = {"csrf_token": csrf(page), "visitor": ["0", "1"]}
    for i, temperature in ((0, "36.5"), (1, "36.8")):
        answers.update({f"symptoms{i}": "no", f"travel{i}": "no", f"contact{i}": "no",
                        f"health_code{i}": "green", f"temperature{i}": temperature})
    client.post(f"/staff/registry-a/bookings/{uncleared}/declare", data=answers)
    page = client.get(f"/staff/registry-a/queue?q={uncleared}").get_data(as_text=True)
    card = page[page.index(f'data-reference="{uncleared}"'):]
    form = card[card.index('class="checkin"'):card.index("</form>")]
    assert re.findall(r'name="temperature"[^>]*value="([^"]*)"', form) == ["36.5", "36.8"], form


def test_staff_and_citizen_forms_offer_no_then_yes(app, client, day):
    """One order on both sides of the counter (the citizen's form: booking/web/health.py)."""
    from booking.web.health import YES_NO
    uncleared = another_booking_in_the_running_slot(app, day)
    login(client)
    for path in ("walk-in?service=marriage", f"bookings/{uncleared}/declare"):
        page = client.get(f"/staff/registry-a/{path}").get_data(as_text=True)
        sets = re.findall(r'<fieldset class="yes-no">(.*?)</fieldset>', page, re.S)
        assert sets, path
        for found in sets:
            assert re.findall(r'value="(yes|no)"', found) == [value for value, _ in YES_NO], (path, found)
