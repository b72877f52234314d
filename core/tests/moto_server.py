"""moto in server mode: a real S3 HTTP endpoint in its own process, for tests and benchmarks."""

import functools
import subprocess
import sys

import boto3

from core.processes import free_loopback_port, stop_process, wait_for_http

REGION = "us-east-1"
ACCESS_KEY = "testing-access-key"
SECRET_KEY = "testing-secret-key"


def start_moto_server(*, log_path, ready_timeout=30.0):
    """Start `moto.server` on a free loopback port; return (process, endpoint_url)."""
    port = free_loopback_port()
    endpoint_url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
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
def s3_client(endpoint_url):
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def s3_storage_for(endpoint_url, bucket_name):
    """STORAGES["default"] pointing django-storages at a bucket on this server."""
    from project.settings import s3_storage

    return s3_storage(
        bucket_name=bucket_name,
        endpoint_url=endpoint_url,
        region_name=REGION,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
    )
