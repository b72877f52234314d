from django.urls import path

from core.documents import views

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("download/", views.download, name="download"),
]
