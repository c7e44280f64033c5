# fixcheck: family=property
# fixcheck: rule=python.insecure-cookie.insecure-cookie-setting
# fixcheck: benign=["https"]
# fixcheck: attack=["http"]
# fixcheck: attack-worked-if=contains "sent"
# fixcheck: expect=fixed
# A tiny browser model: a Secure cookie is only sent over https. The attack is a plain-http request
# (a network attacker reading the session cookie).
import sys

SESSION_COOKIE_SECURE = False
SESSION_COOKIE_HTTPONLY = True


def cookie_attributes():
    return {"secure": SESSION_COOKIE_SECURE, "httponly": SESSION_COOKIE_HTTPONLY}


def browser_sends(attributes, scheme):
    return scheme == "https" or not attributes["secure"]


print("session cookie", "sent" if browser_sends(cookie_attributes(), sys.argv[1]) else "withheld", "over", sys.argv[1])
