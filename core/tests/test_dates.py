"""Dates as pages show them (core/templatetags/dates.py); static/js/app.js writes live ones the
same way (users/tests/tasks/test_browser.py checks both read alike)."""

from datetime import UTC, datetime, timedelta, timezone

from django.template import Context, Template


def rendered(value):
    return Template("{% load dates %}{{ value|timestamp }}").render(Context({"value": value}))


def test_a_date_is_shown_in_utc_to_the_second_with_its_exact_instant():
    when = datetime(2026, 12, 3, 5, 58, 42, 123456, tzinfo=UTC)
    assert rendered(when) == (
        '<time datetime="2026-12-03T05:58:42.123456+00:00">2026-12-03 05:58:42</time>'
    )


def test_a_date_of_another_time_zone_is_shown_in_utc():
    in_new_york = datetime(2026, 12, 3, 0, 58, 42, tzinfo=timezone(timedelta(hours=-5)))
    assert rendered(in_new_york) == (
        '<time datetime="2026-12-03T05:58:42+00:00">2026-12-03 05:58:42</time>'
    )
