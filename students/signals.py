"""The search index hears of every save and delete of a student through the outbox.

django-elasticsearch-dsl's signal processor (ELASTICSEARCH_DSL_SIGNAL_PROCESSOR), reworked:
instead of writing to the engine during the request (where a failure could only be logged,
and the change was lost to search), each save and delete puts the student on the search
outbox in the transaction of the change (`Student.save()` wraps its signals in one;
deletes send theirs inside the collector's). A worker applies it once the transaction
commits, retrying while the engine does not answer (students.search.outbox). Nothing is
recorded unless the backend in use needs each write sent, nor inside
`students.search.autosync_suspended()` (bulk writers index in bulk themselves).
"""

from typing import Any

from django.db import models
from django_elasticsearch_dsl.registries import registry
from django_elasticsearch_dsl.signals import BaseSignalProcessor

from students.search.outbox import record_change


class SearchSignalProcessor(BaseSignalProcessor):
    def setup(self) -> None:
        models.signals.post_save.connect(self.handle_save)
        models.signals.post_delete.connect(self.handle_delete)

    def teardown(self) -> None:
        models.signals.post_save.disconnect(self.handle_save)
        models.signals.post_delete.disconnect(self.handle_delete)

    def handle_save(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        if sender in registry.get_models():
            record_change(instance.pk)

    def handle_delete(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        if sender in registry.get_models():
            record_change(instance.pk)
