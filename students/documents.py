"""The Elasticsearch document of a student (django-elasticsearch-dsl autodiscovers this module).

The index holds the displayed fields as stored values and one searchable field, `terms`:
the student's names and email folded in Python exactly as queries are (lower case, accents
removed, split on anything that is not a letter or a digit). Folding in Python keeps the
index to the core analysis chain (no asciifolding or ICU plugin is needed) and makes the
Elasticsearch and database backends agree on exact and prefix matches.
"""

from django.conf import settings
from django_elasticsearch_dsl import Document, fields
from django_elasticsearch_dsl.registries import registry

from students.models import Student


@registry.register_document
class StudentDocument(Document):
    id = fields.LongField()
    first_name = fields.KeywordField()
    last_name = fields.KeywordField()
    email = fields.KeywordField(index=False)
    age = fields.IntegerField(index=False)
    # index_prefixes makes the per-keystroke prefix queries cheap term lookups.
    terms = fields.TextField(analyzer="standard", index_prefixes={"min_chars": 1, "max_chars": 8})
    # Summed by range of ids to find drift from the database (students.search.reconcile).
    checksum = fields.LongField(index=False)

    class Index:
        name = settings.ELASTICSEARCH_STUDENTS_INDEX

    class Django:
        model = Student
        queryset_pagination = 2000

    def prepare_terms(self, instance: Student) -> str:
        return instance.folded_terms()

    def prepare_checksum(self, instance: Student) -> int:
        return instance.index_checksum()
