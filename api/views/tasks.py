"""The user's own tasks: list, status, and starting the student CRUD job. Another user's
task is a 404, like a task that does not exist. (Cancel and retry are `@action`s of this
viewset, on the services the pages use.)"""

from collections.abc import Callable

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import error_response
from api.serializers import TaskSerializer, TaskStartSerializer
from core.http import error_body
from core.ratelimits import JOB_START
from students.services import start_crud_job
from users.models import Task
from users.tasks.controls import cancel_task, retry_task
from users.tasks.exceptions import TaskAlreadyActive, TaskConflict, TaskNotFound
from users.tasks.selectors import task_of, tasks_of
from users.tasks.updates import TaskUpdate

# Typed by the one definition of the task JSON: mypy checks every key and value.
TASK_EXAMPLE: TaskUpdate = {
    "type": "task.update",
    "task_id": "9b7d3c52-4a0e-4c47-9b8a-2f1d6f0b4a11",
    "status": "running",
    "progress": 40,
    "message": "Created 4,000 of 10,000 students",
    "result": None,
    "position": None,
    "eta_seconds": 12.5,
    "retry_of": None,
    "version": 5,
}
CANCELLED_EXAMPLE: TaskUpdate = {**TASK_EXAMPLE, "status": "cancelled", "eta_seconds": None}
RETRIED_EXAMPLE: TaskUpdate = {
    **TASK_EXAMPLE,
    "status": "queued",
    "progress": 0,
    "position": 1,
    "eta_seconds": None,
    "retry_of": "9b7d3c52-4a0e-4c47-9b8a-2f1d6f0b4a11",
    "version": 0,
}
QUEUED_EXAMPLE: TaskUpdate = {**TASK_EXAMPLE, "status": "queued", "progress": 0, "version": 0}

TASK_PATH = OpenApiParameter("task_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
NO_SUCH_TASK = error_response(
    "No task of yours has this id (another user's task is answered the same).",
    {"error": "No such task."},
)
QUEUE_DOWN = error_response(
    "The job queue did not answer: the new task is recorded failed and named; try again "
    "after Retry-After seconds.",
    {
        "error": "The job queue is unavailable; nothing was started. Try again later.",
        "task_id": "5f0c1e7a-3b2d-4e8f-9a61-0c4d2b7e9f13",
        "status": "failed",
    },
)


class TaskPages(CursorPagination):
    page_size = 50
    ordering = ("-created", "-id")


@extend_schema_view(
    list=extend_schema(
        summary="Your tasks, newest first",
        examples=[
            # drf-spectacular puts a list's example in a page itself.
            OpenApiExample("A page", value=TASK_EXAMPLE, response_only=True)
        ],
    ),
    retrieve=extend_schema(
        summary="One of your tasks (the spec's task JSON; 404 for anyone else's)",
        parameters=[TASK_PATH],
        examples=[OpenApiExample("Task", value=TASK_EXAMPLE, response_only=True)],
    ),
    cancel=extend_schema(
        summary="Cancel a queued or running task: a running job stops at its next batch",
        parameters=[TASK_PATH],
        request=None,
        responses={
            202: TaskSerializer,
            404: NO_SUCH_TASK,
            409: error_response(
                "The task already ended: there is nothing to cancel.",
                {
                    "error": "This task already ended (finished); there is nothing to cancel.",
                    "task_id": "9b7d3c52-4a0e-4c47-9b8a-2f1d6f0b4a11",
                    "status": "finished",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Cancelled",
                value=CANCELLED_EXAMPLE,
                response_only=True,
                status_codes=["202"],
            )
        ],
    ),
    retry=extend_schema(
        summary="Start a failed or cancelled task again: a new task that links to it",
        parameters=[TASK_PATH],
        request=None,
        responses={
            202: TaskSerializer,
            404: NO_SUCH_TASK,
            409: error_response(
                "Only a failed or cancelled task can be started again, and only while no "
                "task of yours of its kind is queued or running.",
                {
                    "error": "This task is finished: only a failed or cancelled task can be "
                    "started again.",
                    "task_id": "9b7d3c52-4a0e-4c47-9b8a-2f1d6f0b4a11",
                    "status": "finished",
                },
            ),
            503: QUEUE_DOWN,
        },
        examples=[
            OpenApiExample(
                "Queued again",
                value=RETRIED_EXAMPLE,
                response_only=True,
                status_codes=["202"],
            )
        ],
    ),
    create=extend_schema(
        summary="Start the student CRUD job: 202 with the task and its Location",
        request=TaskStartSerializer,
        responses={
            202: TaskSerializer,
            409: error_response(
                "A CRUD job of yours is already queued or running (named; other users' jobs "
                "never refuse a start: it waits in line behind them).",
                {
                    "error": "Your Student CRUD job is already running (task 9b7d…, 40%); wait "
                    "for it to end (or cancel it) before starting another.",
                    "task_id": "9b7d3c52-4a0e-4c47-9b8a-2f1d6f0b4a11",
                    "status": "running",
                },
            ),
            503: QUEUE_DOWN,
        },
        examples=[
            OpenApiExample("Start", value={"count": 10000}, request_only=True),
            OpenApiExample(
                "Queued",
                value=QUEUED_EXAMPLE,
                response_only=True,
                status_codes=["202"],
            ),
        ],
    ),
)
class TaskViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Task]):
    serializer_class = TaskSerializer
    pagination_class = TaskPages
    lookup_url_kwarg = "task_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return tasks_of(self.request.user)

    def get_object(self) -> Task:
        task = task_of(self.request.user, self.kwargs["task_id"])
        if task is None:
            raise NotFound("No such task.")
        return task

    def retrieve(self, request: Request, task_id: str) -> Response:
        return Response(TaskSerializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        JOB_START.hit(request)
        start = TaskStartSerializer(data=request.data)
        start.is_valid(raise_exception=True)
        try:
            task = start_crud_job(owner=request.user, count=start.validated_data["count"])
        except TaskAlreadyActive as busy:
            return _conflict(busy)
        return self._accepted(request, task)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, task_id: str) -> Response:
        return self._control(request, cancel_task, task_id)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, task_id: str) -> Response:
        return self._control(request, retry_task, task_id)

    def _control(self, request: Request, control: Callable[..., Task], task_id: str) -> Response:
        """The pages' task controls (users.tasks.controls): 202 with the task moved or made, 404
        for anyone else's task or a forged id, 409 naming the user's own task."""
        try:
            task = control(user=request.user, task_id=task_id)
        except TaskNotFound:
            raise NotFound("No such task.") from None
        except TaskConflict as conflict:
            return _conflict(conflict)
        return self._accepted(request, task)

    @staticmethod
    def _accepted(request: Request, task: Task) -> Response:
        """202 with the task and its address."""
        location = reverse("api:task-detail", kwargs={"task_id": task.public_id})
        return Response(
            TaskSerializer(task).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(location)},
        )


def _conflict(conflict: TaskConflict) -> Response:
    """409 naming the user's own task and its status."""
    return Response(
        error_body(str(conflict), extra=conflict.details), status=status.HTTP_409_CONFLICT
    )
