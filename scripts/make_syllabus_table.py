"""Regenerate src/deepnotes/core/syllabus_table.json from the course syllabus.

The table keeps facts only (ids, chapters, names, kinds, sources, which experiments use which
items); the equations are written in our own words in each implementing module's docstring.

    python scripts/make_syllabus_table.py ../shared/syllabus.yaml
"""
import json
import sys
from pathlib import Path

import yaml

src = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/syllabus.yaml")
data = yaml.safe_load(src.read_text())
table = {
    "items": [
        {k: it[k] for k in ("id", "chapter", "name", "kind", "sources")} | {"named_only": bool(it.get("named_only"))}
        for it in data["items"]
    ],
    "experiments": [
        {k: e[k] for k in ("id", "chapter", "title", "items")} for e in data["experiments"]
    ],
}
out = Path(__file__).resolve().parents[1] / "src/deepnotes/core/syllabus_table.json"
out.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
print(f"wrote {out}: {len(table['items'])} items, {len(table['experiments'])} experiments")
