"""Writes the files scripts/package.sh puts into the Debian package besides the binaries:
the Debian changelog (from CHANGELOG.md), THIRD-PARTY-NOTICES (every Rust crate and npm
package compiled into the two programs, with its licence), and the Tauri configuration
overlay that maps each staged file to its place under /usr.

    package_files.py ROOT STAGE CLI_BINARY MODEL_DIR DEPENDS

DEPENDS is dpkg-shlibdeps' list for the binaries; the fonts the charts use are added.
"""
import email.utils
import gzip
import json
import pathlib
import re
import subprocess
import sys
from datetime import datetime, timezone

PACKAGE = "incident-atlas"
# A reserved domain: the project has no public address, and lintian accepts .invalid.
MAINTAINER = "Incident Atlas developers <maintainers@incident-atlas.invalid>"


def fail(message):
    sys.exit(f"error: {message}")


def workspace_version(root):
    text = (root / "Cargo.toml").read_text()
    section = text.split("[workspace.package]", 1)[1].split("\n[", 1)[0]
    found = re.search(r'^version\s*=\s*"([^"]+)"', section, re.M)
    if not found:
        fail("no version in Cargo.toml's [workspace.package]")
    return found.group(1)


def changelog_entries(root):
    """(version, date, [items]) for each '## VERSION — DATE' section of CHANGELOG.md."""
    entries = []
    for block in re.split(r"^## ", (root / "CHANGELOG.md").read_text(), flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        found = re.match(r"(\S+)\s+[—-]+\s+(\d{4}-\d{2}-\d{2})\s*$", head)
        if not found:
            fail(f"CHANGELOG.md: a release heading must read '## VERSION — YYYY-MM-DD', not '## {head}'")
        items, current = [], None
        for line in body.splitlines():
            if line.startswith("- "):
                current = [line[2:].strip()]
                items.append(current)
            elif line.startswith("  ") and current is not None:
                current.append(line.strip())
            elif line.strip():
                current = [line.strip()]
                items.append(current)
        entries.append((found.group(1), found.group(2), [" ".join(i) for i in items]))
    if not entries:
        fail("CHANGELOG.md has no release")
    return entries


def wrap(text, first, rest, width=78):
    lines, line = [], first
    for word in text.split():
        if len(line) + len(word) + 1 > width and line.strip() not in ("*", ""):
            lines.append(line.rstrip())
            line = rest
        line += word + " "
    lines.append(line.rstrip())
    return lines


def debian_changelog(root):
    out = []
    for version, date, items in changelog_entries(root):
        when = datetime.strptime(date, "%Y-%m-%d").replace(hour=12, tzinfo=timezone.utc)
        out.append(f"{PACKAGE} ({version}) unstable; urgency=medium")
        out.append("")
        for item in items:
            out.extend(wrap(item, "  * ", "    "))
        out.append("")
        out.append(f" -- {MAINTAINER}  {email.utils.format_datetime(when)}")
        out.append("")
    return "\n".join(out)


def roff(text):
    """Text safe in a man page line: backslashes doubled, a leading dot or quote escaped."""
    text = text.replace("\\", "\\e")
    return "\\&" + text if text[:1] in (".", "'") else text


def man_pages(cli, version, date):
    """The two programs' manual pages (section 1): the CLI's from its own --help, so the
    page lists exactly the commands the binary has; the app's written here."""
    help_text = subprocess.run([str(cli), "--help"], capture_output=True, text=True, check=True).stdout
    summary, _, rest = help_text.partition("\n")
    commands = re.findall(r"^  (\S+)\s{2,}(.+)$", rest.split("Options:")[0], re.M)
    options = re.findall(r"^\s+((?:-\w, )?--?[\w-]+(?: <\w+>)?)\s{2,}(.+)$", rest.split("Options:")[1] if "Options:" in rest else "", re.M)
    head = f'.TH INCIDENT-ATLAS 1 "{date}" "incident-atlas {version}" "User Commands"\n'
    cli_page = head + ".SH NAME\nincident-atlas \\- " + roff(summary.strip()) + "\n"
    cli_page += ".SH SYNOPSIS\n.B incident-atlas\n[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n"
    cli_page += (".SH DESCRIPTION\nThe command line of Incident Atlas: it imports incident reports into a local project "
                 "folder, encodes, indexes and clusters them, detects emerging signals, runs labelling sessions and "
                 "evaluations. It makes no network calls. Each command's own options: \\fBincident-atlas \\fICOMMAND\\fB --help\\fR.\n")
    cli_page += ".SH COMMANDS\n" + "".join(f".TP\n.B {roff(c)}\n{roff(d)}\n" for c, d in commands if c != "help")
    cli_page += ".SH OPTIONS\n" + "".join(f".TP\n.B {roff(o)}\n{roff(d)}\n" for o, d in options)
    cli_page += (".SH FILES\n.TP\n.I /usr/share/incident-atlas/models\nThe bundled encoder (all-MiniLM-L6-v2), found by name.\n"
                 ".TP\n.I ~/.local/share/incident-atlas/models\nThe user's models, looked up before the system's.\n"
                 ".SH SEE ALSO\n.BR incident-atlas-app (1)\n")
    app_page = (f'.TH INCIDENT-ATLAS-APP 1 "{date}" "incident-atlas {version}" "User Commands"\n'
                ".SH NAME\nincident-atlas-app \\- the Incident Atlas desktop app\n"
                ".SH SYNOPSIS\n.B incident-atlas-app\n[\\fB--project\\fR \\fIDIR\\fR]\n"
                ".SH DESCRIPTION\nOpens the project in \\fIDIR\\fR on its cluster map; without one, starts on the first run: "
                "a CSV or JSONL export of incident reports is previewed with its detected columns, checked row by row, "
                "imported into a new project folder, encoded with the bundled encoder and analysed into a map. "
                "Press ? in the app for a guide to its views, the keyboard shortcuts and About. It makes no network calls.\n"
                ".SH ENVIRONMENT\n.TP\n.B INCIDENT_ATLAS_PROJECT\nThe project to open when \\fB--project\\fR is not given.\n"
                ".SH SEE ALSO\n.BR incident-atlas (1)\n")
    return cli_page, app_page


def crate_notices(root):
    host = subprocess.run(["rustc", "-vV"], capture_output=True, text=True, check=True).stdout
    triple = re.search(r"^host: (\S+)", host, re.M).group(1)
    meta = json.loads(subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
        cwd=root, capture_output=True, text=True, check=True).stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    roots = [p["id"] for p in meta["packages"] if p["name"] in ("incident-atlas-app", "incident-atlas-cli")]
    seen, todo = set(), list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            # Only what is linked into the programs: normal dependencies, not build scripts'
            # or tests', and not proc macros (they run inside the compiler).
            if not any(k["kind"] is None for k in dep["dep_kinds"]):
                continue
            target_kinds = {k for t in packages[dep["pkg"]]["targets"] for k in t["kind"]}
            if target_kinds == {"proc-macro"}:
                continue
            todo.append(dep["pkg"])
    rows = []
    for pid in seen:
        p = packages[pid]
        if p["source"] is None:
            continue  # the project's own crates, under the project's licence
        rows.append((p["name"], p["version"], p.get("license") or f"see {p.get('license_file')}"))
    return sorted(rows)


def npm_notices(root):
    lock = json.loads((root / "package-lock.json").read_text())
    packages = lock["packages"]
    todo = [("", name) for name in packages[""].get("dependencies", {})]
    seen, rows = set(), []
    while todo:
        parent, name = todo.pop()
        # npm's lookup: the nearest node_modules up from the requiring package.
        path, base = None, parent
        while True:
            candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
            if candidate in packages:
                path = candidate
                break
            if not base:
                break
            base = base.rsplit("/node_modules/", 1)[0] if "/node_modules/" in base else ""
        if path is None or path in seen:
            continue
        seen.add(path)
        entry = packages[path]
        rows.append((name, entry.get("version", "?"), entry.get("license", "unknown")))
        todo.extend((path, dep) for dep in entry.get("dependencies", {}))
    return sorted(set(rows))


def main():
    root, stage, cli, model = (pathlib.Path(a).resolve() for a in sys.argv[1:5])
    shlib_depends = [d.strip() for d in sys.argv[5].split(",") if d.strip()]
    version = workspace_version(root)
    latest = changelog_entries(root)[0][0]
    if latest != version:
        fail(f"CHANGELOG.md's latest release is {latest}, the workspace's version is {version}")
    stage.mkdir(parents=True, exist_ok=True)
    (stage / "changelog").write_text(debian_changelog(root))
    crates, npm = crate_notices(root), npm_notices(root)
    notices = [
        "Third-party components of Incident Atlas " + version,
        "",
        "The default encoder, all-MiniLM-L6-v2 (/usr/share/incident-atlas/models), is under",
        "the Apache License 2.0; see /usr/share/doc/incident-atlas/copyright.",
        "",
        f"Rust crates compiled into incident-atlas-app and incident-atlas ({len(crates)}):",
        *(f"  {n} {v}: {l}" for n, v, l in crates),
        "",
        f"npm packages compiled into the app's page ({len(npm)}):",
        *(f"  {n} {v}: {l}" for n, v, l in npm),
        "",
    ]
    (stage / "THIRD-PARTY-NOTICES").write_text("\n".join(notices))
    date = changelog_entries(root)[0][1]
    for name, page in zip(("incident-atlas", "incident-atlas-app"), man_pages(cli, version, date)):
        # mtime 0: the same page gives the same bytes (lintian checks gzip's -n too).
        (stage / f"{name}.1.gz").write_bytes(gzip.compress(page.encode(), compresslevel=9, mtime=0))
    doc = f"/usr/share/doc/{PACKAGE}"
    files = {
        "/usr/bin/incident-atlas": str(cli),
        f"{doc}/copyright": str(root / "packaging" / "copyright"),
        f"{doc}/THIRD-PARTY-NOTICES": str(stage / "THIRD-PARTY-NOTICES"),
        "/usr/share/man/man1/incident-atlas.1.gz": str(stage / "incident-atlas.1.gz"),
        "/usr/share/man/man1/incident-atlas-app.1.gz": str(stage / "incident-atlas-app.1.gz"),
    }
    for f in sorted(model.rglob("*")):
        if f.is_file() and not f.name.startswith("."):
            files[f"/usr/share/{PACKAGE}/models/{model.name}/{f.relative_to(model)}"] = str(f)
    # The evaluation charts lay out their text with DejaVu Sans (see packaging/copyright).
    depends = shlib_depends + ["fonts-dejavu-core"]
    overlay = {"bundle": {"linux": {"deb": {"files": files, "changelog": str(stage / "changelog"), "depends": depends}}}}
    (stage / "tauri.package.json").write_text(json.dumps(overlay, indent=2))
    print(version)


if __name__ == "__main__":
    main()
