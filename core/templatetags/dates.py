"""Dates as every page shows them: one format, in UTC, inside a <time> element whose datetime
attribute is the exact instant. static/js/app.js writes the dates it shows live the same way
(App.formatTime), so a row updated in the page reads like one the server rendered."""

from datetime import UTC, datetime

from django import template
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# "2026-12-03 05:58:42" (Django's date format characters).
DISPLAY_FORMAT = "Y-m-d H:i:s"


@register.filter
def timestamp(value: datetime) -> SafeString:
    """`{{ task.created|timestamp }}`: <time datetime="ISO 8601">2026-12-03 05:58:42</time>."""
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}">{}</time>', utc.isoformat(), format_date(utc, DISPLAY_FORMAT)
    )
