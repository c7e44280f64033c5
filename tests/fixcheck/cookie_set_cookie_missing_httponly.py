# fixcheck: family=property
# fixcheck: rule=python.insecure-cookie.missing-httponly
# fixcheck: benign=["https"]
# fixcheck: attack=["script"]
# fixcheck: attack-worked-if=contains "remember_token"
# fixcheck: expect=fixed
# The attack is a page script (an XSS payload) reading document.cookie.
import sys
from http.cookies import SimpleCookie


class Response:
    """The part of a web framework response that writes Set-Cookie headers (as Flask/werkzeug do)."""

    def __init__(self):
        self.headers = []

    def set_cookie(self, key, value="", max_age=None, expires=None, path="/", domain=None, secure=False,
                   httponly=False, samesite=None):
        cookie = SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        morsel["path"] = path
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            morsel["expires"] = expires
        if domain is not None:
            morsel["domain"] = domain
        morsel["secure"] = secure
        morsel["httponly"] = httponly
        if samesite:
            morsel["samesite"] = samesite
        self.headers.append(("Set-Cookie", morsel.OutputString()))


def browser(headers, channel):
    """What a browser does with the cookies: which are sent over http/https, which scripts read."""
    shown = []
    for name, header in headers:
        if name != "Set-Cookie":
            continue
        attributes = [part.strip().lower() for part in header.split(";")]
        key = header.split("=", 1)[0]
        if channel == "http" and "secure" in attributes:
            continue
        if channel == "script" and "httponly" in attributes:
            continue
        shown.append(key)
    return f"{channel}: {shown}"


def remember_me(user):
    response = Response()
    response.set_cookie(
        "remember_token",
        f"rt-{user}",
        max_age=30 * 24 * 3600,
        secure=True,
    )
    return response


print(browser(remember_me("bob").headers, sys.argv[1]))
