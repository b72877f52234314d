"""Every page in chromium under the site's Content-Security-Policy: no violation, no inline
script or style that the policy blocks (admin and RQ dashboard included)."""

import pytest

from cookbook.models import Recipe
from core.models import Document
from students.models import Student
from users.models import Task

# Headers and pages, not the database: one pass proves it.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Collects the violations the page reports, from before its first script runs.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${where}`);
});
"""


def pages(recipe_id: int, student_id: int) -> list[str]:
    return [
        "/",
        f"/recipes/{recipe_id}/",
        "/students/",
        "/students/?q=an",
        "/students/test/",
        "/result/",
        "/core/upload/",
        "/core/download/",
        "/accounts/",
        "/accounts/password/change/",
        "/accounts/email/verify/resend/",
        "/accounts/email/verify/not-a-token/",
        "/no/such/page/",
        "/admin/",
        "/admin/students/student/",
        f"/admin/students/student/{student_id}/change/",
        "/admin/cookbook/recipe/add/",
        "/admin/users/task/",
        "/admin/core/document/",
        "/django-rq/",
        "/django-rq/queues/0/",
    ]


def visit(page, url: str) -> tuple[list[str], list[str]]:
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(url)
    assert response is not None and response.status < 500, url
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    csp_console = [text for text in console if "Content Security Policy" in text]
    return violations, csp_console


def test_no_page_violates_the_content_security_policy(page, client, make_user, live_daphne):
    staff = make_user("staff@example.com", is_staff=True, is_superuser=True)
    recipe = Recipe.objects.create(name="Soup", desc="Hot.", instructions="Boil.")
    student = Student.objects.create(first_name="Ann", last_name="Lee", email="a@x.io", age=20)
    Task.objects.create(owner=staff, kind=Task.Kind.STUDENT_CRUD, rq_job_id="job-1")
    Document.objects.create(
        owner=staff, folder="F", original_name="a.txt", file="documents/x", size=1
    )
    page.add_init_script(RECORD_VIOLATIONS)

    found = {}
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        violations, console = visit(page, f"{live_daphne}{path}")
        if violations or console:
            found[path] = violations + console

    client.force_login(staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_daphne}]
    )
    for path in pages(recipe.pk, student.pk):
        violations, console = visit(page, f"{live_daphne}{path}")
        if violations or console:
            found[path] = violations + console
    assert found == {}


def test_the_policy_does_block_an_inline_script(page, live_daphne):
    """The test above would see a violation: an inline script injected into a page is
    refused and reported."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{live_daphne}/accounts/login/")
    page.evaluate(
        """() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.append(script);
    }"""
    )
    assert page.evaluate("window.__ran === undefined")
    violations = page.evaluate("window.__cspViolations")
    assert any(violation.startswith("script-src") for violation in violations)
