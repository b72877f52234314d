"""moto in server mode: a real S3 HTTP endpoint in its own process, for tests and benchmarks."""

import functools
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3

from devtools.processes import free_loopback_port, stop_process, wait_for_http
from project.settings_helpers import s3_storage

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing"  # noqa: S105 - moto accepts any key


def start_moto_server(
    *, log_path: Path, ready_timeout: float = 30.0
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `moto.server` on a free loopback port; return (process, endpoint_url)."""
    port = free_loopback_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(f"{endpoint_url}/moto-api/", process, timeout=ready_timeout)
    except (OSError, RuntimeError):
        stop_process(process)
        raise RuntimeError(f"moto server did not start; see {log_path}") from None
    return process, endpoint_url


@functools.cache
def s3_client(endpoint_url: str) -> Any:
    """A boto3 S3 client of this server (boto3 builds its client classes at run time)."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def new_bucket(endpoint_url: str) -> str:
    """Create a bucket with a fresh name on this server; return its name."""
    bucket = f"test-{uuid.uuid4().hex}"
    s3_client(endpoint_url).create_bucket(Bucket=bucket)
    return bucket


def s3_storage_for(endpoint_url: str, bucket_name: str) -> dict[str, Any]:
    """STORAGES["default"] pointing django-storages at a bucket on this server."""
    return s3_storage(
        bucket_name=bucket_name,
        endpoint_url=endpoint_url,
        region_name=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )
