# fixcheck: family=property
# fixcheck: rule=python.insecure-cookie.insecure-cookie-setting
# fixcheck: benign=["server"]
# fixcheck: attack=["script"]
# fixcheck: attack-worked-if=contains "readable"
# fixcheck: expect=fixed
# The server always gets the cookie; page scripts (document.cookie) only without HttpOnly.
import sys

app_config = {"SESSION_COOKIE_SECURE": True}
app_config["SESSION_COOKIE_HTTPONLY"] = False


def who_can_read(reader):
    if reader == "script" and app_config["SESSION_COOKIE_HTTPONLY"]:
        return "hidden"
    return "readable"


print("session cookie is", who_can_read(sys.argv[1]), "by the", sys.argv[1])
