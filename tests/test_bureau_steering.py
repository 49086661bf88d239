"""Steering to a quieter office: a full day at one registry lists the other registries of its
region with places that day (or the nearest days), in the reader's language; never another kind
of service nor another region's office."""

from __future__ import annotations

from sqlalchemy import select

from booking.extensions import db
from booking.models import Office
from tests.bureau_support import bureau_world
from tests.test_staff_support import book


def test_a_full_day_points_to_the_regions_other_registries_with_places(any_app):
    app = any_app
    with app.app_context():
        w = bureau_world()
        w.a.tomorrow.max_bookings, w.a.tomorrow.max_people = 1, 2
        db.session.commit()
        book(w.a.tomorrow, [1, 2])
        day = w.a.tomorrow.starts_at.astimezone(w.a.office.tz).date().isoformat()
        db.session.scalar(select(Office).where(Office.code == "reg-b")).name_en = "Jing'an Registry"
        db.session.commit()
    client = app.test_client()
    page = client.get(f"/book/reg-a/marriage/{day}?lang=zh").get_data(as_text=True)
    assert 'id="elsewhere"' in page
    section = page.split('id="elsewhere"', 1)[1].split("</section>", 1)[0]
    assert f"/book/reg-b/marriage/{day}" in section
    assert "reg-d" not in section and "cem-c" not in section and "tomb-sweeping" not in section
    english = client.get(f"/book/reg-a/marriage/{day}?lang=en").get_data(as_text=True)
    assert "Jing&#39;an Registry" in english.split('id="elsewhere"', 1)[1]
    quiet = client.get(f"/book/reg-b/marriage/{day}").get_data(as_text=True)
    assert 'id="elsewhere"' not in quiet  # a day with room lists nothing
