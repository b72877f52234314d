"""The documents feature: each user's files in folders, uploaded through the page or the API
and downloaded as a folder zip.

The rest of `core` is the platform every app builds on (the HTTP convention, middleware,
limits, health, metrics...); it imports nothing from here. The `Document` model stays in
`core.models` and its admin in `core.admin`, where Django looks for the app's models, admin
and migrations.
"""
