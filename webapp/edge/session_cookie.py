"""Flask's signed-cookie session, with the signer built only when there is a cookie to read.

Building itsdangerous's serializer costs more than the rest of opening a session, and most
requests (every API call, every first visit) carry no session cookie at all.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface


class CookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
