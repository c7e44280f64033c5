# fixcheck: family=property
# fixcheck: rule=python.xss.jinja2-autoescape-disabled
# fixcheck: benign=["bob"]
# fixcheck: attack=["<script>steal()</script>"]
# fixcheck: attack-worked-if=contains "<script>"
# fixcheck: expect=any
# No autoescape argument at all (Jinja2's default is off): no False to flip, so no template fix.
import sys

from jinja2 import DictLoader, Environment

env = Environment(loader=DictLoader({"p.html": "<b>{{ who }}</b>"}))
print(env.get_template("p.html").render(who=sys.argv[1]))
