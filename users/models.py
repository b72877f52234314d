import uuid
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from users.managers import CustomUserManager


class CustomUser(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("email address", unique=True)
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can log into the admin site."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified = models.BooleanField(
        default=False, help_text="Whether the owner followed the link mailed to this address."
    )
    # One more each time the user logs out everywhere: it is part of every session's
    # authentication hash, so each session logged in before then stops being valid.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects = CustomUserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints = [
            models.UniqueConstraint(Lower("email"), name="users_customuser_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_session_auth_hash(self) -> str:
        if self.session_epoch == 0:
            # Django's own hash until the first "log out everywhere": sessions opened
            # before this field existed stay valid.
            return super().get_session_auth_hash()
        return self._epoch_session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        if self.session_epoch == 0:
            yield from super().get_session_auth_fallback_hash()
            return
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_session_auth_hash(secret=fallback_secret)

    def credentials_fingerprint(self) -> str:
        """Changes when the sessions' hash does (a new password, a "log out everywhere"):
        credentials that outlive a session (API tokens, websocket tickets) carry it and end
        when it no longer matches. Derived from the session hash, never equal to it."""
        return salted_hmac(
            "users.CustomUser.credentials_fingerprint",
            self.get_session_auth_hash(),
            algorithm="sha256",
        ).hexdigest()[:32]

    def _epoch_session_auth_hash(self, *, secret: str | bytes | None) -> str:
        return salted_hmac(
            "users.CustomUser.session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Task(models.Model):
    """A background job started by a user; its status only ever moves forward."""

    class Kind(models.TextChoices):
        STUDENT_CRUD = "student_crud", "Student CRUD job"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)
    TERMINAL_STATUSES = (Status.FINISHED, Status.FAILED, Status.CANCELLED)
    RETRYABLE_STATUSES = (Status.FAILED, Status.CANCELLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks"
    )
    rq_job_id = models.CharField("RQ job id", max_length=64, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    message = models.CharField(max_length=255, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    # When the running task last reported progress (its start counts): /metrics shows how
    # long ago, so that a job that stopped moving is seen before its time limit ends it.
    progressed = models.DateTimeField(null=True, blank=True)
    # What the job is started with (the CRUD job: {"count": N}); a retry starts the same.
    params = models.JSONField(default=dict, blank=True)
    # When its RQ job was enqueued: tasks wait in line undispatched until they are the head.
    dispatched = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    # One more with every change of the row: pages apply an update only when it is newer
    # than what they show (updates can arrive late or twice).
    version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["owner", "-created", "-id"])]
        constraints = [
            # One queued or running task of each kind per user: two simultaneous starts by
            # the same user cannot both win.
            models.UniqueConstraint(
                fields=["owner", "kind"],
                condition=models.Q(status__in=["queued", "running"]),
                name="users_task_one_active_per_owner_and_kind",
                violation_error_message="You already have a task of this kind queued or running.",
            ),
            # Mutual exclusion of runs: only the head of each kind's waiting line has an RQ
            # job (enqueued or running), so two dispatchers cannot both enqueue one.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status__in=["queued", "running"], dispatched__isnull=False),
                name="users_task_one_dispatched_per_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="users_task_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.public_id} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL_STATUSES
