from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from users.forms import CustomUserChangeForm, SignupForm
from users.models import CustomUser, Task


@admin.register(CustomUser)
class CustomUserAdmin(UserAdmin):
    add_form = SignupForm
    form = CustomUserChangeForm
    model = CustomUser
    list_display = ("email", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email",)
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
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
    """Read-only: tasks change only through the job and its services (statuses move forward)."""

    list_display = ("public_id", "kind", "owner", "status", "progress", "created", "finished")
    list_filter = ("kind", "status")
    search_fields = ("public_id", "rq_job_id", "owner__email")
    list_select_related = ("owner",)
    date_hierarchy = "created"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Task | None = None) -> bool:
        return False
