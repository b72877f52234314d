from django.contrib import admin

from core.models import Document


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "folder", "owner", "size", "content_type", "uploaded_at")
    list_filter = ("content_type", "uploaded_at")
    search_fields = ("original_name", "folder", "owner__email", "checksum")
    list_select_related = ("owner",)
    readonly_fields = ("size", "content_type", "checksum", "uploaded_at")
    raw_id_fields = ("owner",)
    date_hierarchy = "uploaded_at"
