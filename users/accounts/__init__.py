"""Accounts: the pages (`views`, `urls`, mounted at /accounts/), their `forms`, the writes
(`services`), signed verification links (`verification`), account mail (`mail`) and failed
logins counted by django-axes (`lockout`). The account model is `users.models.CustomUser`."""
