from django.urls import path

from cookbook import views

urlpatterns = [
    path("", views.recipe_list, name="recipe_list"),
    path("recipes/<int:recipe_id>/", views.recipe_detail, name="recipe_detail"),
]
