"""Project-written code shapes for the synthetic training data.

Vulnerable statements are composed in :mod:`coderev.engine.training.statements`. Here ``SAFE`` holds
safe counterparts and neutral filler statements, and ``CONTEXTS`` wrap the statements in a
function, a method, a route, a ``with`` or ``try`` block and so on. Each list is split into a
training part and a held-out part (the last ``*_HELD_OUT`` entries); the evaluation uses only
held-out shapes and held-out identifier words, so it measures what the model does with code
shapes it has never seen.

Templates use ``{name}`` holes filled with generated identifiers: v/w/x (variables), fn
(function), cls (class), conn/cur (database), tbl/col (SQL words), url, path, cmd (shell words).
"""

from __future__ import annotations

# Safe statements: the fixed forms and neutral code. Used as negatives (FIX: unchanged; REVIEW: NONE).
SAFE: list[str] = [
    "{v} = yaml.safe_load({w})",
    "{v} = yaml.load({w}, Loader=yaml.SafeLoader)",
    "subprocess.run([{q}{cmdword}{q}, {w}], check=True)",
    "{cur}.execute({q}SELECT * FROM {tbl} WHERE {col} = %s{q}, ({v},))",
    "{v} = requests.get({url}, timeout=5)",
    "{v} = hashlib.sha256({w}).hexdigest()",
    "{v} = Environment(loader={w}, autoescape=True)",
    "{v} = etree.XMLParser(resolve_entities=False)",
    "{v} = {w}.strip()",
    "{v} = {w}.get({q}{col}{q}, {q}{q})",
    "if not {v}:\n    return None",
    "log.info({q}{col} %s{q}, {v})",
    "{v} = [{x} for {x} in {w} if {x}]",
    "{v}.append({w})",
    "{v} = len({w}) + 1",
    "for {x} in {w}:\n    {v}.add({x})",
    "{v} = {{{q}{col}{q}: {w}}}",
    "{v} = json.loads({w})",
    "{v} = {w}[{q}{col}{q}]",
    "return {v}",
    "{v} = {fn}({w}, {x})",
    "if {v} is None:\n    raise ValueError({q}{col}{q})",
    "{v} = subprocess.run([{q}{cmdword}{q}, {q}{cmdword2}{q}], capture_output=True)",
    "{v} = hashlib.sha256({w}.encode()).hexdigest()",
]
# The last SAFE_HELD_OUT templates of SAFE are held out.
SAFE_HELD_OUT = 4

# Context shapes: {body} is the statements, indented by the context. The last CONTEXT_HELD_OUT are held out.
CONTEXTS: list[str] = [
    "def {fn}({v}, {w}):\n{body}",
    "def {fn}({w}):\n{body}",
    "class {cls}:\n    def {fn}(self, {w}):\n{body2}",
    "@app.route({q}/{col}{q})\ndef {fn}():\n{body}",
    "def {fn}({w}, {x}=None):\n    with {conn}.cursor() as {cur}:\n{body2}",
    "async def {fn}({w}):\n{body}",
    "def {fn}({v}, {w}):\n    try:\n{body2}\n    except Exception:\n        raise",
    "def {fn}({w}):\n    if {w}:\n{body2}",
    "class {cls}:\n    @staticmethod\n    def {fn}({w}):\n{body2}",
]
CONTEXT_HELD_OUT = 3

# Identifier word pools; the held-out pool shares no word with the training pool.
TRAIN_WORDS = [
    "user", "name", "data", "item", "value", "config", "record", "payload", "result", "account", "order",
    "invoice", "token", "session", "report", "file", "path", "entry", "row", "field", "key", "count", "total",
    "amount", "price", "product", "customer", "message", "event", "job", "task", "queue", "cache", "buffer",
    "stream", "source", "target", "client", "server", "handler", "manager", "service", "batch", "page", "query",
    "filter", "status", "state", "mode", "level", "size", "limit", "offset", "index", "node", "parent", "child",
    "group", "role",
]
HELD_OUT_WORDS = [
    "widget", "ledger", "parcel", "voucher", "beacon", "harbor", "meadow", "quartz", "tundra", "falcon",
    "otter", "lantern", "compass", "sprocket", "gadget", "ticket", "badge", "cargo", "vessel", "pillar",
    "summit", "canyon", "glacier", "orchid", "saffron", "cobalt",
]
CMD_TRAIN = [
    "ls", "df", "du", "ps", "grep", "tar", "gzip", "cp", "mv", "rm", "make", "git", "curl", "ping", "whoami",
    "uname", "date", "sort", "uniq",
]
CMD_HELD_OUT = ["rsync", "zip", "tail", "head", "nginx", "systemctl", "kill", "chmod"]
TABLE_TRAIN = ["users", "orders", "accounts", "products", "invoices", "sessions", "events", "items"]
TABLE_HELD_OUT = ["ledgers", "parcels", "vouchers", "beacons"]
URL_FORMS = ["{v}", "{q}https://{col}.example.com/{w}{q}", "f{q}https://{{{v}}}/api{q}"]  # + "self.{v}" held out
