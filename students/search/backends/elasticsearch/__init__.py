"""Student search on Elasticsearch, in three modules that import one way only:

- `client`: the process's client for the engine and the errors it raises;
- `rebuilder`: the alias the app searches through, the concrete indices behind it, and
  whole generations written beside the one in service and switched in at once;
- `backend`: the search backend (queries, bulk writes, the index's health) over both.
"""
