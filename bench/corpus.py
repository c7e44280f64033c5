"""Benchmark inputs: a large realistic Python file and a corpus of real files on this machine."""

from __future__ import annotations

import random
import sysconfig
import zipfile
from pathlib import Path

_TEMPLATES = [
    '''def load_{n}(request, cursor):
    """Fetch record {n} for the current user."""
    user_id = request.args.get("id")
    cursor.execute("SELECT * FROM items_{n} WHERE owner = %s" % user_id)
    rows = cursor.fetchall()
    return [dict(row) for row in rows if row["visible"]]
''',
    '''class Service{n}:
    def __init__(self, client, retries=3):
        self.client = client
        self.retries = retries

    def fetch(self, path):
        for attempt in range(self.retries):
            response = self.client.get("https://api.example.com/" + path, timeout=5)
            if response.ok:
                return response.json()
        raise RuntimeError(f"gave up after {{self.retries}} attempts")
''',
    '''def render_{n}(items, title="Report"):
    lines = [f"# {{title}}", ""]
    for index, item in enumerate(sorted(items, key=lambda i: i.name)):
        lines.append(f"{{index + 1}}. {{item.name}}: {{item.value:.2f}}")
    total = sum(item.value for item in items)
    lines.append(f"total: {{total}}")
    return "\\n".join(lines)
''',
    '''def run_job_{n}(config):
    import subprocess
    command = config.get("command", "echo ok")
    result = subprocess.run(command, shell=True, capture_output=True)
    if result.returncode != 0:
        log.warning("job %s failed: %s", {n}, result.stderr)
    return result.stdout
''',
]


def large_python_file(lines: int = 5000, seed: int = 7) -> str:
    """A Python module of about ``lines`` lines: services, queries, rendering, some findings."""
    rng = random.Random(seed)
    parts = ['"""Generated benchmark module."""\n\nimport logging\n\nlog = logging.getLogger(__name__)\n']
    count, n = 5, 0
    while count < lines:
        block = rng.choice(_TEMPLATES).format(n=n) + "\n\n"
        parts.append(block)
        count += block.count("\n")
        n += 1
    return "".join(parts)


def javascript_corpus(limit: int = 300) -> list[Path]:
    """Real JavaScript: the npm client that ships with Node.js on this machine."""
    roots = [Path("/usr/lib/node_modules/npm"), Path("/usr/local/lib/node_modules/npm")]
    for root in roots:
        if root.is_dir():
            return sorted(p for p in root.rglob("*.js") if "test" not in p.parts)[:limit]
    return []


def java_corpus(destination: Path, limit: int = 200) -> list[Path]:
    """Real Java: java.util and java.net sources from an installed JDK's src.zip, extracted."""
    for archive in sorted(Path("/usr/lib/jvm").glob("*/lib/src.zip")):
        with zipfile.ZipFile(archive) as source:
            names = sorted(
                n for n in source.namelist()
                if n.endswith(".java") and ("/java/util/" in n or "/java/net/" in n)
            )[:limit]
            source.extractall(destination, names)
        return [destination / n for n in names]
    return []


def repository_sources() -> list[Path]:
    """The project's own fixture apps and examples (the only Go and TypeScript at hand)."""
    root = Path(__file__).resolve().parent.parent
    return sorted(
        p for folder in ("tests/fixtures", "examples") for p in (root / folder).rglob("*")
        if p.suffix in {".go", ".ts", ".tsx", ".java", ".js", ".py"}
    )


def stdlib_corpus(limit: int = 400) -> list[Path]:
    """Real Python files from the running interpreter's standard library (tests excluded)."""
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(
        p for p in root.rglob("*.py")
        if not any(part in {"test", "tests", "idlelib", "site-packages", "lib2to3"} for part in p.parts)
    )
    return files[:limit]


_JS_TEMPLATES = [
    '''function loadRecord{n}(req, db) {{
  const id = req.query.id;
  const rows = db.query("SELECT * FROM items_{n} WHERE owner = '" + id + "'");
  return rows.filter((row) => row.visible).map((row) => ({{ ...row }}));
}}
''',
    '''class Service{n} {{
  constructor(client, retries = 3) {{
    this.client = client;
    this.retries = retries;
  }}

  async fetch(path) {{
    for (let attempt = 0; attempt < this.retries; attempt++) {{
      const response = await this.client.get("https://api.example.com/" + path, {{ timeout: 5 }});
      if (response.ok) {{
        return response.json();
      }}
    }}
    throw new Error(`gave up after ${{this.retries}} attempts`);
  }}
}}
''',
    '''function render{n}(items, title = "Report") {{
  const lines = [`# ${{title}}`, ""];
  const sorted = [...items].sort((a, b) => a.name.localeCompare(b.name));
  sorted.forEach((item, index) => {{
    lines.push(`${{index + 1}}. ${{item.name}}: ${{item.value.toFixed(2)}}`);
  }});
  const total = items.reduce((sum, item) => sum + item.value, 0);
  lines.push(`total: ${{total}}`);
  return lines.join("\\n");
}}
''',
    '''function runJob{n}(config) {{
  const command = config.command || "echo ok";
  const result = childProcess.execSync(command + " " + config.args);
  if (!result) {{
    log.warn("job %s failed", {n});
  }}
  return result.toString();
}}
''',
]

_JAVA_TEMPLATES = [
    '''    public List<String> loadRecord{n}(HttpServletRequest request, Connection db) throws SQLException {{
        String id = request.getParameter("id");
        Statement statement = db.createStatement();
        ResultSet rows = statement.executeQuery("SELECT * FROM items_{n} WHERE owner = '" + id + "'");
        List<String> out = new ArrayList<>();
        while (rows.next()) {{
            out.add(rows.getString("name"));
        }}
        return out;
    }}
''',
    '''    public String fetch{n}(String path, int retries) throws IOException {{
        for (int attempt = 0; attempt < retries; attempt++) {{
            HttpResponse<String> response = client.send(request("https://api.example.com/" + path), ofString());
            if (response.statusCode() == 200) {{
                return response.body();
            }}
        }}
        throw new IOException("gave up after " + retries + " attempts");
    }}
''',
    '''    public String render{n}(List<Item> items, String title) {{
        StringBuilder lines = new StringBuilder("# " + title + "\\n");
        int index = 0;
        for (Item item : items) {{
            lines.append(++index).append(". ").append(item.name()).append(": ").append(item.value()).append("\\n");
        }}
        double total = items.stream().mapToDouble(Item::value).sum();
        return lines.append("total: ").append(total).toString();
    }}
''',
    '''    public String runJob{n}(Map<String, String> config) throws IOException {{
        String command = config.getOrDefault("command", "echo ok");
        Process process = Runtime.getRuntime().exec(command + " " + config.get("args"));
        if (process.exitValue() != 0) {{
            LOG.warning("job {n} failed");
        }}
        return new String(process.getInputStream().readAllBytes());
    }}
''',
]


def large_javascript_file(lines: int = 5000, seed: int = 7) -> str:
    """A JavaScript module of about ``lines`` lines, built like :func:`large_python_file`."""
    rng = random.Random(seed)
    parts = ['"use strict";\n\nconst childProcess = require("child_process");\nconst log = console;\n\n']
    count, n = 5, 0
    while count < lines:
        block = rng.choice(_JS_TEMPLATES).format(n=n) + "\n"
        parts.append(block)
        count += block.count("\n")
        n += 1
    return "".join(parts)


def large_java_file(lines: int = 5000, seed: int = 7) -> str:
    """One Java class of about ``lines`` lines, built like :func:`large_python_file`."""
    rng = random.Random(seed)
    parts = ["package bench;\n\nimport java.io.*;\nimport java.sql.*;\nimport java.util.*;\n\n"
             "public class Generated {\n    private static final Logger LOG = Logger.getLogger(\"bench\");\n\n"]
    count, n = 9, 0
    while count < lines - 1:
        block = rng.choice(_JAVA_TEMPLATES).format(n=n) + "\n"
        parts.append(block)
        count += block.count("\n")
        n += 1
    return "".join(parts) + "}\n"
