# fixcheck: family=property
# fixcheck: rule=python.xxe.unsafe-parser-settings
# fixcheck: benign=["<order><item>lamp</item></order>"]
# fixcheck: attack=["<!DOCTYPE order [<!ENTITY leak SYSTEM \"secret.txt\">]><order><item>&leak;</item></order>"]
# fixcheck: attack-worked-if=contains "TOP-SECRET"
# fixcheck: expect=any
# The external entity points at a file in the program's own temporary directory.
import io
import sys
import xml.sax
from pathlib import Path
from xml.sax.handler import feature_external_ges


class Items(xml.sax.ContentHandler):
    def __init__(self):
        super().__init__()
        self.text = []

    def characters(self, content):
        self.text.append(content)


def parse_order(data):
    handler = Items()
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)
    parser.setContentHandler(handler)
    source = xml.sax.xmlreader.InputSource()
    source.setByteStream(io.BytesIO(data.encode()))
    source.setSystemId(str(Path.cwd() / "order.xml"))
    parser.parse(source)
    return "".join(handler.text)


Path("secret.txt").write_text("TOP-SECRET")
try:
    print("items:", parse_order(sys.argv[1]))
except xml.sax.SAXException as exc:
    print("rejected:", exc)
