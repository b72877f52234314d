from django.contrib import admin

from students.models import Student


@admin.register(Student)
class StudentAdmin(admin.ModelAdmin):
    list_display = ("last_name", "first_name", "email", "age")
    search_fields = ("last_name", "first_name", "email")
    list_per_page = 50
