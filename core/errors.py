"""Errors whose inside people must not see: each gets a short id that is logged with the
whole detail (and reaches Sentry through its logging integration when `SENTRY_DSN` is set);
people see only a plain sentence and the id, which support can find in the log."""

import logging
import secrets

logger = logging.getLogger(__name__)


def report_error(what: str, *, exc: BaseException | None = None) -> str:
    """Log `what` (and `exc` with its traceback) under a new error id; return the id."""
    error_id = secrets.token_hex(6)
    logger.error("%s [error id %s]", what, error_id, exc_info=exc)
    return error_id
