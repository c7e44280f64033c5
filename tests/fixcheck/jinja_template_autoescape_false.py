# fixcheck: family=property
# fixcheck: rule=python.xss.jinja2-autoescape-disabled
# fixcheck: benign=["great product"]
# fixcheck: attack=["<img src=x onerror=alert(1)>"]
# fixcheck: attack-worked-if=contains "<img"
# fixcheck: expect=fixed
import sys

import jinja2


def render_comment(text):
    template = jinja2.Template("<li class=comment>{{ text }}</li>", autoescape=False)
    return template.render(text=text)


print(render_comment(sys.argv[1]))
