# fixcheck: family=property
# fixcheck: rule=python.csrf.protection-disabled
# fixcheck: benign=["abc"]
# fixcheck: attack=["forged"]
# fixcheck: attack-worked-if=contains "saved"
# fixcheck: expect=fixed
import sys


class Config:
    SECRET_KEY = "dev-key"
    WTF_CSRF_ENABLED = False


def save_profile(config, session_token, form):
    if config.WTF_CSRF_ENABLED and form["csrf_token"] != session_token:
        return "refused"
    return f"saved {form['email']}"


print(save_profile(Config, "abc", {"csrf_token": sys.argv[1], "email": "a@example.org"}))
