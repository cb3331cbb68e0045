#!/usr/bin/env python3
"""Writes the parameter table of the historical scenario (docs/MODEL.md, section 8, "The
historical scenario's values"): every model parameter the scenario resolves to, with its value
(`exodus validate --paths`), its unit and allowed range (the key tables of section 8), and its
source or "assumption" (the comment on its line in scenarios/historical-2025.toml, or
"default" when the scenario leaves it at the default). Events, outputs and meta are left out.

    usage: scripts/parameter-table.py [EXODUS]   (prints the table; paste it into MODEL.md)

tests/scenario_paths.rs checks that every row's value is the scenario's."""
import re, subprocess, sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
exodus = sys.argv[1] if len(sys.argv) > 1 else str(root / "target/release/exodus")
scenario = root / "scenarios/historical-2025.toml"
paths = subprocess.run([exodus, "validate", "--paths", str(scenario)], check=True,
                       capture_output=True, text=True).stdout.splitlines()

# Units and ranges from the key tables of MODEL.md section 8.
model = (root / "docs/MODEL.md").read_text()
sec = model[model.index("## 8 Parameters"):model.index("## 9 Mechanism switches")]
units = {}
table = None
for line in sec.splitlines():
    m = re.match(r"### .*\(`\[(?:\[)?([a-z_.]+)(?:\])?\]`\)", line)
    if m:
        table = m.group(1)
    m = re.match(r"\| `([a-z_]+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \|", line)
    if m and table:
        units[(table, m.group(1))] = (m.group(2).strip(), m.group(4).strip())

# Comments of the scenario file, by block and key.
def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")
comments = {}
block, name = "", ""
for line in scenario.read_text().splitlines():
    m = re.match(r"^\[\[?([a-z_.]+)\]?\]", line)
    if m:
        block, name = m.group(1), ""
        continue
    m = re.match(r'^name = "([^"]*)"', line)
    if m:
        name = slug(m.group(1))
    m = re.match(r"^([a-z_]+) = [^#]*?(?:#\s*(.*))?$", line)
    if m:
        comments[(block, name, m.group(1))] = (m.group(2) or "").strip()

def where(path):
    parts = path.split(".")
    if parts[0] == "population" and len(parts) > 3 and parts[1] == "segments":
        return "population.segments", parts[2], parts[3], "population.segments"
    if parts[0] == "platforms":
        return "platforms", parts[1], parts[2], "platforms"
    return parts[0], "", parts[1] if len(parts) > 1 else parts[0], parts[0]

# Keys whose source is the comment block above them in the scenario file, not their line.
def block_comment(path, key):
    app = path.rsplit(".", 1)[-1]
    if key == "initial" or ".initial." in path:
        return "US TikTok users [pop-170m]; RedNote's and Lemon8's regulars on their own app [T1], [T3]"
    if ".also_installed." in path:
        return {
            "Instagram": "64% of TikTok users also use it [pop-overlap]",
            "YouTube": "83% of TikTok users also use it [pop-overlap]",
            "Facebook": "assumption: 50% (no figure in the sources)",
            "TikTok": "assumption: RedNote's and Lemon8's US regulars have TikTok too",
        }.get(app, "assumption")
    return None

rows = []
for line in paths:
    path, _, value = line.partition(" = ")
    if path.split(".")[0] in ("events", "meta", "outputs", "network", "seed"):
        continue
    block, name, key, table = where(path)
    if key in ("name", "owner", "color", "dist"):
        continue
    unit, allowed = units.get((table, key), ("", ""))
    note = comments.get((block, name, key))
    if note is None and block == "population" and key in ("people", "agents"):
        note = comments.get(("population", "", key))
    if not note:
        note = block_comment(path, key) or ("set in the scenario" if note == "" else None)
    source = note if note else "default"
    rows.append(f"| `{path}` | {value} | {unit} | {allowed} | {source.replace('|', '/')} |")

print("| path | value | unit | allowed | source or assumption |")
print("|---|---|---|---|---|")
print("\n".join(rows))
