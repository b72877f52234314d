from django.shortcuts import render


def recipe_list(request):
    return render(request, "cookbook/recipe_list.html")
