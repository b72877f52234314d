from django.apps import AppConfig


class ApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from api.tickets import API_KEY, JWT, api_key_still_holds, jwt_still_holds
        from users.sockets.tickets import register_ticket_credential

        register_ticket_credential(JWT, jwt_still_holds)
        register_ticket_credential(API_KEY, api_key_still_holds)
