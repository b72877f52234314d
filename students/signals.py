"""Autosync of the search index on every save and delete of a student.

django-elasticsearch-dsl's real-time processor, with three differences: it does nothing unless
the backend in use needs each write sent (the database backend needs no help, and the app must
not reach for an engine it was not given), nor inside `students.search.autosync_suspended()`
(bulk writers index in bulk themselves; see students.search.autosync), and an engine that does
not answer is logged instead of failing the write: the database is the source of truth and
`manage.py search_index --rebuild` catches the index up.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.db import models
from django_elasticsearch_dsl.registries import registry
from django_elasticsearch_dsl.signals import RealTimeSignalProcessor

from students.search import ENGINE_ERRORS, autosync_enabled, ensure_index

logger = logging.getLogger(__name__)


class SearchSignalProcessor(RealTimeSignalProcessor):
    def handle_save(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        if self._indexed(sender):
            self._guarded("index", instance, super().handle_save, sender, instance, **kwargs)

    def handle_pre_delete(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        if self._indexed(sender):
            self._guarded("unlink", instance, super().handle_pre_delete, sender, instance)

    def handle_delete(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        if self._indexed(sender):
            self._guarded("remove", instance, super().handle_delete, sender, instance, **kwargs)

    def handle_m2m_changed(
        self, sender: type[models.Model], instance: models.Model, action: str, **kwargs: Any
    ) -> None:
        if self._indexed(instance.__class__):
            super().handle_m2m_changed(sender, instance, action, **kwargs)

    @staticmethod
    def _indexed(model: type[models.Model]) -> bool:
        return model in registry.get_models() and autosync_enabled()

    @staticmethod
    def _guarded(
        what: str,
        instance: models.Model,
        handler: Callable[..., None],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        try:
            ensure_index()
            handler(*args, **kwargs)
        except ENGINE_ERRORS as exc:
            logger.error(
                "search index: could not %s %s #%s (%s); rebuild the index once the engine "
                "answers again",
                what,
                instance.__class__.__name__,
                instance.pk,
                exc,
            )
