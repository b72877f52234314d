"""Writes of the student directory from a request: starting the CRUD job (`start_crud_job`).
The job is students.jobs (its kind of task) and students.crud_cycle (its work); the demo
students are students.demo."""

from users.models import CustomUser, Task
from users.tasks.services import submit_task


def start_crud_job(*, owner: CustomUser, count: int) -> Task:
    """Put a CRUD job of `count` students in the waiting line (its job is enqueued once it
    is the head of the line and committed); returns the queued task with its position.

    Raises TaskAlreadyActive when the owner already has a CRUD task queued or running, and
    JobQueueUnavailable when the queue cannot be reached (the task is recorded failed).
    """
    return submit_task(
        owner=owner,
        kind=Task.Kind.STUDENT_CRUD,
        message=f"Waiting to replace the students with {count} new ones",
        params={"count": count},
    )
