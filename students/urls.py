from django.urls import path

from students import views

urlpatterns = [
    path("test/", views.crud_job, name="crud_job"),
]
