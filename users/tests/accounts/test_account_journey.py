"""One person's whole account life in chromium, against a live server whose mail goes over
SMTP to the suite's aiosmtpd server: signup -> the mailed link -> verify -> log out -> forgot
password -> the mailed link -> reset -> log in -> change email -> verify -> delete the
account, its files gone from where the site stored them (local disk, then S3 on moto)."""

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.models import Document
from devtools.live import start_gunicorn
from devtools.moto_server import ACCESS_KEY, REGION, SECRET_KEY, new_bucket, s3_client
from devtools.processes import stop_process
from devtools.smtp_server import link_in
from users.models import CustomUser

# Slow and independent of the database vendor: the SQLite pass only.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

EMAIL, NEW_EMAIL = "journey@example.com", "journey.moved@example.com"
FIRST_PASSWORD, SECOND_PASSWORD = "first-Long-passphrase-42", "second-Long-passphrase-77"


class StoredFiles:
    """What the live site stored, read where it stored it."""

    def __init__(self, *, media_root: Path | None = None, bucket: str = "", endpoint: str = ""):
        self.media_root, self.bucket, self.endpoint = media_root, bucket, endpoint

    def names(self, user_id: int) -> set[str]:
        prefix = f"documents/{user_id}/"
        if self.media_root is not None:
            return {
                str(path.relative_to(self.media_root))
                for path in (self.media_root / prefix).rglob("*")
                if path.is_file()
            }
        listing = s3_client(self.endpoint).list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return {item["Key"] for item in listing.get("Contents", [])}


@pytest.fixture(params=["local", "s3"])
def site(request, live_server_env, tmp_path_factory):
    """(base URL, its stored files) of a live site on the local disk or on S3 (moto)."""
    if request.param == "local":
        url = request.getfixturevalue("live_daphne")
        yield url, StoredFiles(media_root=Path(live_server_env["DJANGO_MEDIA_ROOT"]))
        return
    endpoint = request.getfixturevalue("moto_s3")
    bucket = new_bucket(endpoint)
    env = {
        **live_server_env,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    url, process = start_gunicorn(env, tmp_path_factory.mktemp("s3-site") / "gunicorn.log")
    yield url, StoredFiles(bucket=bucket, endpoint=endpoint)
    stop_process(process)


def follow_verification_link(page, mailbox, address):
    page.goto(link_in(mailbox.wait_for(address)))
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status")).to_contain_text(f"{address} is confirmed")


def wait_for_documents(owner_email, count, timeout=10.0):
    deadline = time.monotonic() + timeout
    while Document.objects.filter(owner__email=owner_email).count() < count:
        assert time.monotonic() < deadline, "the upload was not recorded"
        time.sleep(0.1)


def test_an_account_from_signup_to_deletion(page, site, mailbox):
    base_url, stored = site
    navigation = page.get_by_role("navigation", name="Main")

    # Sign up; the mailed link confirms the address.
    page.goto(f"{base_url}/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label(re.compile(r"^Password:?$")).fill(FIRST_PASSWORD)
    page.get_by_label("Password confirmation").fill(FIRST_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("status")).to_contain_text(f"We mailed a link to {EMAIL}")
    follow_verification_link(page, mailbox, EMAIL)
    expect(page.get_by_text("confirmed", exact=True)).to_be_visible()

    # Files to delete later.
    page.goto(f"{base_url}/core/upload/")
    page.get_by_label("Folder").fill("Journey")
    page.get_by_label("Files").set_input_files(
        [
            {"name": "one.txt", "mimeType": "text/plain", "buffer": b"first file"},
            {"name": "two.txt", "mimeType": "text/plain", "buffer": b"second file"},
        ]
    )
    page.get_by_role("button", name="Upload").click()
    wait_for_documents(EMAIL, 2)
    user_id = CustomUser.objects.get(email=EMAIL).pk
    assert len(stored.names(user_id)) == 2

    # Log out, forget the password, reset it by mail.
    navigation.get_by_role("button", name="Log out").click()
    navigation.get_by_role("link", name="Log in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("heading", name="Check your mail")).to_be_visible()
    page.goto(link_in(mailbox.wait_for(EMAIL)))
    page.get_by_label(re.compile(r"^New password:?$")).fill(SECOND_PASSWORD)
    page.get_by_label("New password confirmation").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    # Log in with the new password.
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(navigation).to_contain_text(EMAIL)

    # Change the email address: it changes once the new one is verified.
    navigation.get_by_role("link", name=EMAIL).click()
    page.get_by_label("New email address").fill(NEW_EMAIL)
    page.get_by_label("Current password").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Change my email address").click()
    expect(page.get_by_role("status")).to_contain_text(f"We mailed a link to {NEW_EMAIL}")
    expect(navigation).to_contain_text(EMAIL)
    follow_verification_link(page, mailbox, NEW_EMAIL)
    expect(navigation).to_contain_text(NEW_EMAIL)

    # Delete the account: its rows and its files are gone.
    page.get_by_label("Your password").fill(SECOND_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("status")).to_contain_text("Your account and everything in it")
    expect(navigation.get_by_role("link", name="Log in")).to_be_visible()
    assert not CustomUser.objects.filter(pk=user_id).exists()
    assert not Document.objects.filter(owner_id=user_id).exists()
    assert stored.names(user_id) == set()
