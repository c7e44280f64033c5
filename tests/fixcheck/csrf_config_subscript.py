# fixcheck: family=property
# fixcheck: rule=python.csrf.protection-disabled
# fixcheck: benign=["token-123"]
# fixcheck: attack=[""]
# fixcheck: attack-worked-if=contains "accepted"
# fixcheck: expect=fixed
# The benign form carries the session's CSRF token; the attack is a cross-site post without one.
import sys

SESSION_TOKEN = "token-123"


class App:
    def __init__(self):
        self.config = {"WTF_CSRF_ENABLED": True}


app = App()
app.config["WTF_CSRF_ENABLED"] = False


def submit(form):
    if app.config["WTF_CSRF_ENABLED"] and form.get("csrf_token") != SESSION_TOKEN:
        return "rejected: CSRF token missing or wrong"
    return f"accepted transfer of {form['amount']}"


print(submit({"csrf_token": sys.argv[1], "amount": "100"}))
