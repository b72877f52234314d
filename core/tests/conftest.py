import uuid

import pytest

from core.processes import stop_process
from core.tests.moto_server import s3_client, s3_storage_for, start_moto_server


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory):
    """A moto S3 server (its own process, a free loopback port); yields its endpoint URL."""
    process, endpoint_url = start_moto_server(log_path=tmp_path_factory.mktemp("moto") / "moto.log")
    yield endpoint_url
    stop_process(process)


def new_bucket(endpoint_url):
    bucket = f"test-{uuid.uuid4().hex}"
    s3_client(endpoint_url).create_bucket(Bucket=bucket)
    return bucket


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
