import pytest

from core.models import Document

pytestmark = pytest.mark.django_db


def make_document(owner, name):
    return Document.objects.create(
        owner=owner, folder="Shared", original_name=name, file=f"documents/x/{name}", size=3,
        content_type="text/plain", checksum="a" * 64,
    )  # fmt: skip


def test_staff_see_every_users_documents(client, make_user):
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    make_document(make_user("bob@example.com"), "bobs.txt")
    make_document(make_user("carol@example.com"), "carols.txt")
    client.force_login(staff)
    response = client.get("/admin/core/document/")
    assert response.status_code == 200
    assert "bobs.txt" in response.content.decode()
    assert "carols.txt" in response.content.decode()


def test_other_users_cannot_open_the_admin(client, user):
    client.force_login(user)
    response = client.get("/admin/core/document/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
