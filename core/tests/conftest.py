import pytest

from devtools.moto_server import new_bucket, s3_storage_for


@pytest.fixture(params=["local", "s3"])
def storage_backend(request, settings, tmp_path):
    """Run the test once on the local filesystem and once on S3 (moto) through django-storages."""
    if request.param == "local":
        settings.MEDIA_ROOT = tmp_path / "media"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
    else:
        endpoint_url = request.getfixturevalue("moto_s3")
        settings.STORAGES = {
            **settings.STORAGES,
            "default": s3_storage_for(endpoint_url, new_bucket(endpoint_url)),
        }
    return request.param
