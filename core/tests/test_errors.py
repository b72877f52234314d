import logging
import re

import pytest

from core.errors import report_error


def test_report_error_logs_the_detail_under_a_fresh_id(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("password authentication failed for user app on db.internal")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="core.errors"):
            first = report_error("The CRUD job failed", exc=exc)
    second = report_error("The CRUD job failed")
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert first != second
    record = caplog.records[0]
    assert first in record.getMessage()
    assert record.exc_info is not None and "db.internal" in str(record.exc_info[1])
