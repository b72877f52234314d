"""The alias the app searches through, the concrete indices behind it, and the atomic
rebuilder: a whole new generation of students goes into service at once.

The name the app uses (`ELASTICSEARCH_STUDENTS_INDEX`, "students") is an alias of one
concrete index (`students-<suffix>`). A job that replaces the student directory (the CRUD
job, `search_index --rebuild`) writes the new generation into a fresh concrete index beside
the one in service, then moves the alias to it in one atomic `_aliases` call, so searches see
either the previous generation or the new one, never half of each. The previous index is then
dropped whole. Unaliased indices that a killed job left behind are cleaned up by the next one.
"""

import logging
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError

from students.documents import StudentDocument
from students.search.backends.elasticsearch.client import ENGINE_ERRORS

logger = logging.getLogger(__name__)

# While a new generation's index is filled by bulk writes alone: no periodic refreshes and
# no replicas to copy every document to; both come back before the alias moves to it.
FILLING_SETTINGS = {"refresh_interval": "-1", "number_of_replicas": 0}
# An unaliased index of ours this old is left by a job or rebuild that died (the CRUD job's
# time limit is 10 minutes); a younger one may belong to one still running.
UNFINISHED_INDEX_AGE_SECONDS = 3600


def index_alias() -> str:
    """The name searches and writes use: an alias of the concrete index in service."""
    name: str = StudentDocument._index._name
    return name


def create_index(
    client: Elasticsearch,
    name: str,
    *,
    alias: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Create index `name` with the document's mappings and settings (`overrides` on top of
    them), behind `alias` when given; return its own settings, without the overrides."""
    body = StudentDocument._index.clone(name=name).to_dict()
    own_settings: dict[str, Any] = body.get("settings", {})
    client.indices.create(
        index=name,
        mappings=body["mappings"],
        settings={**own_settings, **(overrides or {})},
        aliases={alias: {}} if alias else None,
    )
    return own_settings


class GenerationIndex:
    """A fresh concrete index that a whole generation of students is written into while
    searches keep reading the previous one through the alias (see
    students.search.api.generation_index)."""

    def __init__(self, client: Elasticsearch, alias: str) -> None:
        self.client = client
        self.alias = alias
        self.name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
        self.settings: dict[str, Any] = {}  # the index's own settings, put back when filled
        self.filled = False
        self.serving: dict[str, Any] = {}  # the alias's indices when the switch moved it
        self.switched = False

    def create(self) -> None:
        self.settings = create_index(self.client, self.name, overrides=FILLING_SETTINGS)

    def finish_filling(self) -> None:
        """Put the index's own settings back (refreshes, replicas) and make every
        document visible. `switch()` does it when it was not done before."""
        restored = {name: self.settings.get(name) for name in FILLING_SETTINGS}
        self.client.indices.put_settings(index=self.name, settings={"index": restored})
        self.client.indices.refresh(index=self.name)
        self.filled = True

    def switch(self) -> None:
        """Move the alias to the filled index in one atomic `_aliases` call."""
        if not self.filled:
            self.finish_filling()
        try:
            self.serving = dict(self.client.indices.get_alias(index=self.alias))
        except NotFoundError:
            self.serving = {}
        actions: list[dict[str, Any]] = [{"add": {"index": self.name, "alias": self.alias}}]
        for old in self.serving:
            if old == self.alias:  # a concrete index of the alias's name (older version)
                actions.append({"remove_index": {"index": old}})
            else:
                actions.append({"remove": {"index": old, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        self.switched = True

    def switch_back(self) -> None:
        """Point the alias at the indices it served before `switch()` (all but a concrete
        index of the alias's name, which the switch removed: `--rebuild` then refills)."""
        actions: list[dict[str, Any]] = [{"remove": {"index": self.name, "alias": self.alias}}]
        actions += [
            {"add": {"index": old, "alias": self.alias}}
            for old in self.serving
            if old != self.alias
        ]
        self.client.indices.update_aliases(actions=actions)
        self.switched = False

    def drop_unfinished(self) -> None:
        """Delete indices of unfinished generations (a worker killed mid-job leaves one)
        older than UNFINISHED_INDEX_AGE_SECONDS: a younger one may still be filling."""
        pattern = f"{self.alias}-*"
        indices = self.client.indices.get_alias(index=pattern)
        created = self.client.indices.get_settings(index=pattern, name="index.creation_date")
        oldest = (time.time() - UNFINISHED_INDEX_AGE_SECONDS) * 1000
        orphans = [
            name
            for name, about in indices.items()
            if self.alias not in about["aliases"]
            and int(created[name]["settings"]["index"]["creation_date"]) < oldest
        ]
        if orphans:
            self.client.indices.delete(index=orphans)


@contextmanager
def new_generation(client: Elasticsearch, alias: str) -> Iterator[GenerationIndex]:
    """Elasticsearch's `generation_index()` (students.search.api): a fresh index switched in
    as the one behind `alias`."""
    target = GenerationIndex(client, alias)
    target.drop_unfinished()
    target.create()
    try:
        yield target
    except BaseException:
        try:
            if target.switched:
                target.switch_back()
            target.client.indices.delete(index=target.name, ignore_unavailable=True)
        except ENGINE_ERRORS:
            logger.exception("Could not drop the unfinished search index %s", target.name)
        raise
    if not target.switched:
        target.client.indices.delete(index=target.name, ignore_unavailable=True)
        raise RuntimeError("generation_index(): the block ended without switch()")
    previous = [name for name in target.serving if name != target.alias]
    if previous:
        try:
            target.client.indices.delete(index=previous, ignore_unavailable=True)
        except ENGINE_ERRORS:
            logger.exception("Could not delete the previous search index %s", previous)
