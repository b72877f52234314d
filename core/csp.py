"""The Content-Security-Policy middleware: django-csp with the site's one exception.

Every page gets `CONTENT_SECURITY_POLICY` (no inline script or style). The pages under
`CSP_INLINE_ALLOWED_PREFIXES` (django-rq's dashboard, staff only) are third-party
templates full of inline `<script>` and `<style>` blocks: they alone also allow inline
script and style. A page whose websocket is on another origin (WEBSOCKET_URL: an
absolute URL, or another port of the page's host) may connect to it.
"""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from core.websocket_url import websocket_origin_for


class SiteCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        websocket_origin = websocket_origin_for(request)
        if websocket_origin is not None:
            parts.update = {**(parts.update or {}), "connect-src": [websocket_origin]}
        if request.path_info.startswith(tuple(settings.CSP_INLINE_ALLOWED_PREFIXES)):
            inline = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}
            parts.update = {**(parts.update or {}), **inline}
        return parts
