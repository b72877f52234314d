from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from users.accounts.forms import CustomUserChangeForm, SignupForm
from users.models import CustomUser, Task
from users.tasks.watchdog import end_stuck_task


@admin.register(CustomUser)
class CustomUserAdmin(UserAdmin):
    add_form = SignupForm
    form = CustomUserChangeForm
    model = CustomUser
    list_display = ("email", "email_verified", "is_staff", "is_active", "date_joined")
    list_filter = ("email_verified", "is_staff", "is_superuser", "is_active")
    search_fields = ("email",)
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "email_verified", "password")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "password1", "password2", "is_staff", "is_active"),
            },
        ),
    )


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """Read-only: tasks change only through the job and its services (statuses move forward).
    Staff can end a stuck task (an action): it fails as a killed job would, with the clean-up
    of its kind, and RQ is asked to stop its job. `error` (the traceback) is shown here
    only: people see the message and its error id."""

    list_display = ("public_id", "kind", "owner", "status", "progress", "created", "finished")
    list_filter = ("kind", "status")
    search_fields = ("public_id", "rq_job_id", "owner__email")
    list_select_related = ("owner",)
    date_hierarchy = "created"
    actions = ["end_tasks"]

    @admin.action(description="End the selected stuck tasks", permissions=["end"])
    def end_tasks(self, request: HttpRequest, queryset: QuerySet[Task]) -> None:
        active = list(queryset.filter(status__in=Task.ACTIVE_STATUSES))
        ended = [task for task in active if end_stuck_task(task) is not None]
        skipped = queryset.count() - len(ended)
        if ended:
            self.message_user(request, f"Ended {len(ended)} task(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} task(s) had already ended and were left as they are.",
                messages.WARNING,
            )

    def has_end_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False
