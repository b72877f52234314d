from django.urls import path

from users.tasks import views

urlpatterns = [
    path("", views.task_list, name="task_list"),
    path("<str:task_id>/", views.task_detail, name="task_detail"),
    path("<str:task_id>/cancel/", views.task_cancel, name="task_cancel"),
    path("<str:task_id>/retry/", views.task_retry, name="task_retry"),
]
