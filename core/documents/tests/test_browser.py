import io
import zipfile

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_daphne, email, password):
    page.goto(f"{live_daphne}/accounts/login/?next=/core/upload/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_daphne}/core/upload/")


def test_upload_two_files_with_progress_and_download_their_zip(
    page, live_daphne, user, password, tmp_path
):
    files = {
        "recipe notes.txt": b"Two cloves of garlic, minced.\n" * 40_000,
        "plate 🍝.png": bytes(range(256)) * 8_000,
    }
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(path)

    log_in(page, live_daphne, user.email, password)
    page.get_by_label("Folder").fill("Dinner party")
    page.get_by_label("Files").set_input_files(paths)
    page.get_by_role("button", name="Upload").click()

    progress = page.get_by_label("Upload progress")
    expect(progress).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_have_text("Uploaded 2 files to “Dinner party”.")
    expect(progress).to_have_attribute("value", "100")
    expect(page).to_have_url(f"{live_daphne}/core/upload/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Download").click()
    row = page.get_by_role("row", name="Dinner party")
    expect(row).to_contain_text("2")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download Dinner party.zip").click()
    download = download_info.value
    assert download.suggested_filename == "Dinner party.zip"
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        assert {info.filename: archive.read(info) for info in archive.infolist()} == files


def test_a_file_over_the_limit_is_refused_in_the_page(page, live_daphne, user, password, tmp_path):
    too_large = tmp_path / "huge.bin"
    with open(too_large, "wb") as handle:
        handle.truncate(100 * 1024 * 1024 + 1)

    log_in(page, live_daphne, user.email, password)
    page.get_by_label("Folder").fill("Big")
    page.get_by_label("Files").set_input_files(too_large)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("“huge.bin” is larger than the limit")


def test_the_servers_error_is_shown_in_the_page(page, live_daphne, user, password, tmp_path):
    """A folder name that only the server refuses: the page shows the server's sentence from
    the site's JSON error shape, and the form stays usable."""
    notes = tmp_path / "notes.txt"
    notes.write_text("garlic\n")

    log_in(page, live_daphne, user.email, password)
    page.get_by_label("Folder").fill("..")
    page.get_by_label("Files").set_input_files(notes)
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_have_text("“.” and “..” are not folder names.")
    expect(page.get_by_label("Upload progress")).to_be_hidden()
    expect(page.get_by_role("button", name="Upload")).to_be_enabled()
