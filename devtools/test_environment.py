"""The test run's environment, set before Django reads its settings (loaded with
`-p devtools.test_environment` in pytest's options, ahead of pytest-django), so that the test
process and every server process it starts share it.

Passwords are hashed with Django's fast test hasher: the suite makes hundreds of accounts,
and the production hasher spends half a second on each. A deployment refuses this hasher
(core.checks, core.E009); project/tests/test_settings.py checks that the production settings
keep a strong one and that a real hash still logs in.
"""

import os

TEST_ENVIRONMENT = {
    "DJANGO_PASSWORD_HASHERS": "django.contrib.auth.hashers.MD5PasswordHasher",
}

os.environ.update(
    {name: value for name, value in TEST_ENVIRONMENT.items() if name not in os.environ}
)
