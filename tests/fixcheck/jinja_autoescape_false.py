# fixcheck: family=property
# fixcheck: rule=python.xss.jinja2-autoescape-disabled
# fixcheck: benign=["alice"]
# fixcheck: attack=["<script>alert(1)</script>"]
# fixcheck: attack-worked-if=contains "<script>"
# fixcheck: expect=fixed
import sys

from jinja2 import DictLoader, Environment

env = Environment(
    loader=DictLoader({"hello.html": "<p>Hello {{ name }}!</p>"}),
    autoescape=False,
)
print(env.get_template("hello.html").render(name=sys.argv[1]))
