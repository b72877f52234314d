import pytest


@pytest.fixture(params=["database", "elasticsearch"])
def search_backend(request):
    """Run the test once per backend; on Elasticsearch against the session's real node."""
    if request.param == "elasticsearch":
        request.getfixturevalue("elasticsearch")
    return request.param
