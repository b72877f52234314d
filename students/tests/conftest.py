import pytest


@pytest.fixture(params=["database", pytest.param("elasticsearch", marks=pytest.mark.live)])
def search_backend(request):
    """Run the test once per backend; on Elasticsearch against the session's real node (the
    serial `live` lane, as every test that uses the shared node)."""
    if request.param == "elasticsearch":
        request.getfixturevalue("elasticsearch")
    return request.param
