from django.urls import path

from cookbook import views

urlpatterns = [
    path("", views.recipe_list, name="recipe_list"),
]
