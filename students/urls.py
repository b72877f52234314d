from django.urls import path

from students import views

urlpatterns = [
    path("", views.student_list, name="student_list"),
    path("search/", views.student_search, name="student_search"),
    path("search/<path:query>", views.student_search, name="student_search_path"),
    path("test/", views.crud_job, name="crud_job"),
]
