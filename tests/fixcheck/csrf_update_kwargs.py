# fixcheck: family=property
# fixcheck: rule=python.csrf.protection-disabled
# fixcheck: benign=["t0k"]
# fixcheck: attack=["nothing"]
# fixcheck: attack-worked-if=contains "deleted"
# fixcheck: expect=fixed
import sys

config = {}
config.update(
    SESSION_COOKIE_SECURE=True,
    WTF_CSRF_CHECK_DEFAULT=False,
)


def delete_account(token):
    if config.get("WTF_CSRF_CHECK_DEFAULT", True) and token != "t0k":
        return "forbidden"
    return "deleted"


print(delete_account(sys.argv[1]))
