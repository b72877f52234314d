"""Every account flow through Django's test client, with mail sent over SMTP to the suite's
aiosmtpd server (devtools.smtp_server): tests follow the links in the mail they receive."""

import re
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode

from core.documents.services import store_uploads
from core.models import Document
from devtools.processes import free_loopback_port
from devtools.smtp_server import SMTPServer, body, link_in
from users.accounts import mail
from users.models import CustomUser, Task
from users.tasks.services import create_task

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another-Long-passphrase-77"


def path_of(link: str) -> str:
    return urlsplit(link).path


def signup(client, email="new@example.com", password=NEW_PASSWORD):
    return client.post(
        reverse("signup"), {"email": email, "password1": password, "password2": password}
    )


def confirm(client, link):
    """Open a verification link as a person does: the page, then its button."""
    page = client.get(path_of(link))
    assert page.status_code == 200
    assert "Confirm my email address" in page.text
    return client.post(path_of(link))


def log_in(client, email, password):
    return client.post(reverse("login"), {"username": email, "password": password})


def background_mail_tried():
    """Wait until every mail handed to the background pool so far has been tried, so that
    "nothing else was sent" is checked after the senders, not before: a barrier that every
    pool thread must reach runs only once the work queued before it is done."""
    barrier = threading.Barrier(mail.BACKGROUND_MAIL_THREADS)
    waits = [
        mail._background.submit(barrier.wait, timeout=30)
        for _ in range(mail.BACKGROUND_MAIL_THREADS)
    ]
    for wait in waits:
        wait.result(timeout=30)


# Email verification at signup


def test_signup_mails_a_verification_link_in_text_and_html_that_confirms_the_address(
    client, mailbox, settings
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "optional"
    response = signup(client)
    assert response.status_code == 302
    assert get_user(client).is_authenticated  # optional: logged in at once

    mail = mailbox.wait_for("new@example.com")
    assert mail["From"] == settings.DEFAULT_FROM_EMAIL
    assert settings.SITE_NAME in mail["Subject"]
    link = link_in(mail)
    assert link.startswith("http://testserver/accounts/email/verify/")
    assert link in body(mail, "html")
    assert escape(settings.SITE_NAME) in body(mail, "html")
    assert not CustomUser.objects.get().email_verified

    response = confirm(client, link)
    assert response.status_code == 302
    assert CustomUser.objects.get().email_verified
    assert "is confirmed" in client.get(response.url, follow=True).text

    # A spent link says so, and changes nothing.
    again = client.post(path_of(link))
    assert again.status_code == 400
    assert "does not work" in again.text


def test_mandatory_verification_blocks_login_until_the_link_is_followed(client, mailbox, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    response = signup(client, password=NEW_PASSWORD)
    assert response.status_code == 200
    assert "Check your mail" in response.text
    assert not get_user(client).is_authenticated
    first_link = link_in(mailbox.wait_for("new@example.com"))

    refused = log_in(client, "new@example.com", NEW_PASSWORD)
    assert refused.status_code == 400
    assert "Confirm your email address first" in refused.text
    assert "Send the confirmation mail again" in refused.text
    assert 'name="email" value="new@example.com"' in refused.text
    assert not get_user(client).is_authenticated

    # The resend button on the refused login page sends a fresh link.
    resend = client.post(reverse("resend_verification"), {"email": "new@example.com"})
    assert resend.status_code == 200
    second_link = link_in(mailbox.wait_for("new@example.com"))

    assert confirm(client, second_link).status_code == 302
    assert client.post(path_of(first_link)).status_code == 400  # the address is proven now
    assert log_in(client, "new@example.com", NEW_PASSWORD).status_code == 302
    assert get_user(client).is_authenticated


def test_no_verification_sends_no_mail_and_logs_in(client, mailbox, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "none"
    assert signup(client).status_code == 302
    assert get_user(client).is_authenticated
    assert mailbox.messages == []


def test_resend_answers_the_same_for_unknown_verified_and_unverified_addresses(
    client, mailbox, make_user
):
    make_user("verified@example.com", email_verified=True)
    make_user("pending@example.com")
    pages = [
        client.post(reverse("resend_verification"), {"email": address})
        for address in ("nobody@example.com", "verified@example.com", "pending@example.com")
    ]
    assert {page.status_code for page in pages} == {200}
    texts = {re.sub(r"\S+@example\.com", "ADDRESS", page.text) for page in pages}
    assert len(texts) == 1
    mailbox.wait_for("pending@example.com")
    background_mail_tried()
    assert mailbox.messages == []


@pytest.mark.parametrize("garbage", ["not-a-token", "eyJ1IjoxfQ:1abc:forged"])
def test_an_altered_verification_link_is_refused(client, user, garbage):
    response = client.post(reverse("verify_email", args=[garbage]))
    assert response.status_code == 400
    assert "does not work" in response.text


def test_an_expired_verification_link_is_refused(client, mailbox, settings):
    signup(client)
    link = link_in(mailbox.wait_for("new@example.com"))
    settings.ACCOUNT_EMAIL_VERIFICATION_SECONDS = -1  # every link is older than that
    assert client.post(path_of(link)).status_code == 400
    assert not CustomUser.objects.get().email_verified


def test_links_are_absolute_with_the_host_and_scheme_the_proxy_passes_on(client, mailbox, settings):
    settings.ALLOWED_HOSTS = ["cookbook.example"]
    client.post(
        reverse("signup"),
        {"email": "new@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        HTTP_HOST="cookbook.example",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert link_in(mailbox.wait_for("new@example.com")).startswith(
        "https://cookbook.example/accounts/email/verify/"
    )


def test_a_mail_server_that_does_not_answer_loses_no_account(client, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_TIMEOUT = "127.0.0.1", 1
    settings.EMAIL_PORT = free_loopback_port()  # nothing listens there
    response = signup(client)
    assert response.status_code == 302
    assert CustomUser.objects.filter(email="new@example.com").exists()


# Password reset


def uid_of(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


def request_reset(client, email):
    return client.post(reverse("password_reset"), {"email": email})


@pytest.mark.parametrize("page, status", [("password_reset", 302), ("resend_verification", 200)])
def test_the_answer_does_not_wait_for_the_mail_server(
    client, make_user, settings, monkeypatch, page, status
):
    """Pages that must not tell which addresses have accounts answer before their mail
    leaves: the mail server here accepts the connection and never greets."""
    # No retry: it would go to this port after the test, when another server may have it.
    monkeypatch.setattr(mail, "RETRY_DELAYS_SECONDS", ())
    make_user("known@example.com", email_verified=False)
    silent = socket.create_server(("127.0.0.1", 0))
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
    settings.EMAIL_TIMEOUT = 3
    try:
        response = client.post(reverse(page), {"email": "known@example.com"})
        assert response.status_code == status
        silent.settimeout(10)
        connection, _ = silent.accept()  # the mail does go out
        with connection:
            connection.settimeout(0.5)
            # Still waiting for the greeting after the answer: a send made during the
            # request would have given up (and closed) before the answer came.
            with pytest.raises(TimeoutError):
                connection.recv(1)
    finally:
        silent.close()


def test_password_reset_by_mail_works_once(client, user, password, mailbox):
    response = request_reset(client, "ALICE@example.com")
    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    mail = mailbox.wait_for(user.email)
    link = link_in(mail)
    assert link in body(mail, "html")

    form_page = client.get(path_of(link), follow=True)
    assert 'name="new_password1"' in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")

    assert log_in(Client(), user.email, password).status_code == 400
    assert log_in(Client(), user.email, NEW_PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.email_verified  # the reset proved the mailbox

    reused = Client().get(path_of(link), follow=True)
    assert "expired or was already used" in reused.text
    assert 'name="new_password1"' not in reused.text


@pytest.fixture
def quick_retries(monkeypatch):
    monkeypatch.setattr(mail, "RETRY_DELAYS_SECONDS", (0.2, 0.2, 0.2))


def test_a_reset_mail_the_server_puts_off_is_sent_again(client, user, mailbox, quick_retries):
    mailbox.refuse_next("451 4.3.0 Try again later", "421 4.3.2 Shutting down")
    assert request_reset(client, user.email).status_code == 302
    assert "/reset/" in link_in(mailbox.wait_for(user.email))
    assert mailbox.attempts == 3


def test_a_reset_mail_the_server_refuses_for_good_is_not_sent_again(
    client, user, mailbox, quick_retries, caplog
):
    mailbox.refuse_next("550 5.1.1 No such mailbox")
    assert request_reset(client, user.email).status_code == 302
    background_mail_tried()
    assert "could not send the password_reset mail" in caplog.text
    assert "trying again" not in caplog.text  # no retry was set: nothing else comes
    assert mailbox.attempts == 1 and mailbox.messages == []


def test_a_reset_mail_waits_for_a_mail_server_that_is_down(client, user, settings, monkeypatch):
    monkeypatch.setattr(mail, "RETRY_DELAYS_SECONDS", (1.0, 1.0, 1.0))
    later = SMTPServer()  # its port chosen, nothing listening yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", later.port
    assert request_reset(client, user.email).status_code == 302
    time.sleep(0.3)
    later.start()
    try:
        assert "/reset/" in link_in(later.mailbox.wait_for(user.email))
    finally:
        later.stop()


def test_password_reset_answers_the_same_for_an_unknown_address(client, user, mailbox):
    known = request_reset(client, user.email)
    unknown = request_reset(client, "nobody@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    mailbox.wait_for(user.email)
    background_mail_tried()
    assert mailbox.messages == []


def test_a_reset_token_does_not_work_for_another_account(client, user, make_user, mailbox):
    bob = make_user("bob@example.com")
    request_reset(client, user.email)
    alice_uid, token = path_of(link_in(mailbox.wait_for(user.email))).strip("/").split("/")[-2:]
    assert alice_uid != uid_of(bob)
    page = client.get(reverse("password_reset_confirm", args=[uid_of(bob), token]), follow=True)
    assert "expired or was already used" in page.text
    bob.refresh_from_db()
    assert not bob.check_password(NEW_PASSWORD)


def test_an_expired_reset_link_is_refused(client, user, mailbox, settings):
    request_reset(client, user.email)
    link = path_of(link_in(mailbox.wait_for(user.email)))
    settings.PASSWORD_RESET_TIMEOUT = -1
    assert "expired or was already used" in client.get(link, follow=True).text


@pytest.mark.parametrize(
    ("password1", "password2", "expected"),
    [
        ("short1", "short1", "too short"),
        ("password123", "password123", "too common"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "two password fields"),
    ],
)
def test_a_weak_or_mismatched_new_password_is_refused(
    client, user, password, mailbox, password1, password2, expected
):
    request_reset(client, user.email)
    form_page = client.get(path_of(link_in(mailbox.wait_for(user.email))), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": password1, "new_password2": password2}
    )
    assert response.status_code == 200
    assert expected in response.text
    user.refresh_from_db()
    assert user.check_password(password)


def test_password_reset_requests_are_rate_limited(client, user, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password_reset": "2/hour"}
    assert request_reset(client, user.email).status_code == 302
    assert request_reset(client, "nobody@example.com").status_code == 302
    refused = request_reset(client, user.email)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]


def test_confirmation_mails_are_rate_limited(logged_in, user, password, settings, mailbox):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "verification_mail": "2/hour"}
    assert change_email(logged_in, "one@example.com", password).status_code == 302
    resend = logged_in.post(reverse("resend_verification"), {"email": user.email})
    assert resend.status_code == 200
    assert change_email(logged_in, "two@example.com", password).status_code == 429
    # The resent link leaves from a background thread: wait for it, then nothing else is left.
    mailbox.wait_for("one@example.com")
    mailbox.wait_for(user.email)
    background_mail_tried()
    assert mailbox.messages == []


def test_signup_is_rate_limited(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "signup": "1/hour"}
    assert signup(client, "one@example.com").status_code == 302
    client.logout()
    assert signup(client, "two@example.com").status_code == 429
    assert not CustomUser.objects.filter(email="two@example.com").exists()


# Password change


def change_password(client, old, new1, new2=None):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new1, "new_password2": new2 or new1},
    )


def test_password_change_keeps_this_session_and_ends_the_others(user, password):
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    response = change_password(here, password, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("account")
    assert get_user(here).is_authenticated
    assert not get_user(elsewhere).is_authenticated
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("old", "new1", "new2", "expected"),
    [
        ("wrong-password", NEW_PASSWORD, NEW_PASSWORD, "old password was entered incorrectly"),
        (None, NEW_PASSWORD, NEW_PASSWORD + "x", "two password fields"),
        (None, "12345678901", "12345678901", "entirely numeric"),
    ],
)
def test_password_change_refuses_bad_input(logged_in, user, password, old, new1, new2, expected):
    response = change_password(logged_in, old or password, new1, new2)
    assert response.status_code == 200
    assert expected in response.text
    user.refresh_from_db()
    assert user.check_password(password)


def test_password_change_needs_login(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# Email change


def change_email(client, email, password):
    return client.post(reverse("change_email"), {"email": email, "password": password})


@pytest.mark.engine
def test_email_changes_only_once_the_new_address_is_verified(logged_in, user, password, mailbox):
    response = change_email(logged_in, "alice.new@example.com", password)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "alice@example.com"  # not yet
    mail = mailbox.wait_for("alice.new@example.com")
    assert "new email address" in mail["Subject"]
    link = link_in(mail)

    assert confirm(logged_in, link).status_code == 302
    user.refresh_from_db()
    assert (user.email, user.email_verified) == ("alice.new@example.com", True)
    assert get_user(logged_in).is_authenticated  # the session goes on
    assert log_in(Client(), "alice@example.com", password).status_code == 400
    assert log_in(Client(), "alice.new@example.com", password).status_code == 302
    assert logged_in.post(path_of(link)).status_code == 400  # spent


@pytest.mark.parametrize(
    ("email", "password_ok", "expected"),
    [
        ("bob@example.com", True, "belongs to another account"),
        ("BOB@example.com", True, "belongs to another account"),
        ("ALICE@example.com", True, "already your email address"),
        ("not-an-address", True, "valid email address"),
        ("alice.new@example.com", False, "password was entered incorrectly"),
    ],
)
def test_email_change_refuses_bad_input(
    logged_in, user, password, make_user, mailbox, email, password_ok, expected
):
    make_user("bob@example.com")
    response = change_email(logged_in, email, password if password_ok else "wrong")
    assert response.status_code == 400
    assert expected in response.text
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    assert mailbox.messages == []


@pytest.mark.engine
def test_an_address_taken_before_it_is_verified_stays_with_its_new_owner(
    logged_in, user, password, make_user, mailbox
):
    change_email(logged_in, "wanted@example.com", password)
    link = link_in(mailbox.wait_for("wanted@example.com"))
    make_user("wanted@example.com")
    response = logged_in.post(path_of(link))
    assert response.status_code == 409
    assert "Another account now uses this email address" in response.text
    user.refresh_from_db()
    assert user.email == "alice@example.com"


def test_a_second_change_spends_the_link_of_the_first(logged_in, user, password, mailbox):
    change_email(logged_in, "first@example.com", password)
    first = link_in(mailbox.wait_for("first@example.com"))
    change_email(logged_in, "second@example.com", password)
    second = link_in(mailbox.wait_for("second@example.com"))
    assert confirm(logged_in, second).status_code == 302
    assert logged_in.post(path_of(first)).status_code == 400
    user.refresh_from_db()
    assert user.email == "second@example.com"


# Log out everywhere


@pytest.mark.engine
def test_log_out_everywhere_ends_every_session_of_the_user_only(user, make_user):
    laptop, phone, bobs = Client(), Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    bobs.force_login(make_user("bob@example.com"))

    response = laptop.post(reverse("logout_everywhere"))
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert not get_user(laptop).is_authenticated
    assert not get_user(phone).is_authenticated
    assert get_user(bobs).is_authenticated
    # A new log-in works as before.
    fresh = Client()
    fresh.force_login(CustomUser.objects.get(pk=user.pk))
    assert get_user(fresh).is_authenticated


def test_log_out_everywhere_needs_a_post(logged_in):
    assert logged_in.get(reverse("logout_everywhere")).status_code == 405
    assert get_user(logged_in).is_authenticated


# Account deletion


def upload(user, name="notes.txt"):
    return store_uploads(owner=user, folder="mine", files=[ContentFile(b"hello", name=name)])[0]


@pytest.mark.parametrize("storage_backend", ["local"], indirect=True)
def test_deleting_with_a_wrong_password_deletes_nothing(logged_in, user, storage_backend):
    document = upload(user)
    create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    Task.objects.update(status=Task.Status.FINISHED)
    response = logged_in.post(reverse("delete_account"), {"password": "wrong"})
    assert response.status_code == 400
    assert "nothing was deleted" in response.text
    assert CustomUser.objects.filter(pk=user.pk).exists()
    assert Task.objects.filter(owner=user).count() == 1
    assert default_storage.exists(document.file.name)


@pytest.mark.parametrize("storage_backend", ["local", "s3"], indirect=True)
@pytest.mark.engine
def test_deleting_the_account_removes_its_tasks_documents_and_files(
    logged_in, user, password, make_user, storage_backend, django_capture_on_commit_callbacks
):
    mine = [upload(user, "a.txt"), upload(user, "b.txt")]
    stray = default_storage.save(f"documents/{user.pk}/mine/leftover/c.txt", ContentFile(b"x"))
    bobs = upload(make_user("bob@example.com"))
    create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    Task.objects.update(status=Task.Status.FAILED)

    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in.post(reverse("delete_account"), {"password": password})

    assert response.status_code == 302
    assert not get_user(logged_in).is_authenticated
    assert not CustomUser.objects.filter(pk=user.pk).exists()
    assert not Task.objects.exists()
    assert list(Document.objects.all()) == [bobs]
    for name in [document.file.name for document in mine] + [stray]:
        assert not default_storage.exists(name)
    assert default_storage.exists(bobs.file.name)
    assert log_in(Client(), user.email, password).status_code == 400


def test_an_account_with_a_running_task_is_not_deleted(logged_in, user, password):
    create_task(owner=user, kind=Task.Kind.STUDENT_CRUD)
    response = logged_in.post(reverse("delete_account"), {"password": password})
    assert response.status_code == 409
    assert "still queued or running" in response.text
    assert "cancel it on your tasks page" in response.text
    assert CustomUser.objects.filter(pk=user.pk).exists()
    # Once it is cancelled, the account goes.
    task = Task.objects.get(owner=user)
    assert logged_in.post(reverse("task_cancel", args=[task.public_id])).status_code == 302
    response = logged_in.post(reverse("delete_account"), {"password": password})
    assert response.status_code == 302
    assert not CustomUser.objects.filter(pk=user.pk).exists()


def test_delete_needs_login_and_a_post(client, logged_in):
    assert (
        Client().post(reverse("delete_account"), {"password": "x"}).url.startswith(reverse("login"))
    )
    assert logged_in.get(reverse("delete_account")).status_code == 302
    assert get_user(logged_in).is_authenticated


# The account page


def test_the_account_page_has_every_section_and_is_linked_from_the_navigation(logged_in, user):
    page = logged_in.get(reverse("account"))
    assert page.status_code == 200
    for heading in ("Email address", "Password", "Sessions", "Delete your account"):
        assert f">{heading}</h2>" in page.text
    assert "not confirmed yet" in page.text
    ids = re.findall(r'\bid="([^"]+)"', page.text)
    assert len(ids) == len(set(ids)), "every label must point at one field"
    assert f'href="{reverse("account")}"' in logged_in.get("/").text
    assert f'href="{reverse("password_reset")}"' in Client().get(reverse("login")).text


def test_the_account_page_needs_login(client):
    assert client.get(reverse("account")).url.startswith(reverse("login"))


def test_a_link_opened_in_another_users_session_changes_only_its_own_account(
    logged_in, user, password, make_user, mailbox
):
    change_email(logged_in, "alice.new@example.com", password)
    link = link_in(mailbox.wait_for("alice.new@example.com"))
    bob = make_user("bob@example.com")
    bobs = Client()
    bobs.force_login(bob)
    assert bobs.post(path_of(link)).status_code == 302
    user.refresh_from_db()
    bob.refresh_from_db()
    assert (user.email, bob.email) == ("alice.new@example.com", "bob@example.com")
    assert get_user(bobs).pk == bob.pk
