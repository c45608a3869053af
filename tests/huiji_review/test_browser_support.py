"""The scripts run on the oldest browser the users carry: 信创 desktops and government tablets
report Chromium 80–93 (docs/tablets.md, "Browsers"). Every script the site serves, the tablets'
service worker included, must parse as ECMAScript 2020, the newest edition Chromium 80 implements
in full, and must not call the few built-ins that came after it.

The parser is acorn, the one Node.js carries inside (``node --expose-internals``), run at the
edition asked for: a construct of a later edition (``??=``, ``#private``, a class field, a
top-level await) is a syntax error there."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

NODE = shutil.which("node")
ACORN = """
const acorn = require('internal/deps/acorn/acorn/dist/acorn');
const fs = require('fs');
const failures = [];
for (const path of process.argv.slice(1)) {
  try { acorn.parse(fs.readFileSync(path, 'utf8'), {ecmaVersion: %d, sourceType: 'script'}); }
  catch (error) { failures.push(path + ': ' + error.message); }
}
console.log(JSON.stringify(failures));
"""
STATIC_JS = sorted(Path(settings.BASE_DIR, "static", "js").glob("*.js"))
# Built-ins newer than Chromium 80, as our own scripts would call them (htmx is checked by
# syntax only: it feature-tests what it uses).
NEWER_THAN_CHROMIUM_80 = {
    r"\.replaceAll\(": "String.prototype.replaceAll (Chromium 85)",
    r"\.at\(-?\d": "Array.prototype.at (Chromium 92)",
    r"\bstructuredClone\(": "structuredClone (Chromium 98)",
    r"\bObject\.hasOwn\(": "Object.hasOwn (Chromium 93)",
    r"\.findLast(Index)?\(": "Array.prototype.findLast (Chromium 97)",
    r"\bPromise\.any\(": "Promise.any (Chromium 85)",
    r"\bWeakRef\b": "WeakRef (Chromium 84)",
    r"\bAbortSignal\.timeout\(": "AbortSignal.timeout (Chromium 103)",
    r"\.toSorted\(|\.toReversed\(": "change-array-by-copy (Chromium 110)",
    r"new FormData\([^)]*,": "FormData with a submitter (Chromium 112)",
}

pytestmark = pytest.mark.skipif(
    NODE is None, reason="Node.js not found: `apt-get install nodejs` to check the scripts' syntax"
)


def parse_errors(paths: list[Path], edition: int) -> list[str]:
    result = subprocess.run(  # noqa: S603  (node, and our own files)
        [NODE, "--expose-internals", "-e", ACORN % edition, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def service_worker(tmp_path, db) -> Path:
    path = tmp_path / "sw.js"
    path.write_bytes(Client().get("/r/sw.js").content)
    return path


def test_every_script_parses_as_ecmascript_2020(service_worker):
    assert STATIC_JS, "no scripts found"
    assert parse_errors([*STATIC_JS, service_worker], 2020) == []


def test_the_parser_refuses_what_chromium_80_cannot_run(tmp_path):
    # The check above would pass on anything if the parser ignored the edition.
    newer = tmp_path / "newer.js"
    newer.write_text("var a = {}; a.b ??= 1;\nclass C { #x = 1; }\n")
    assert len(parse_errors([newer], 2020)) == 1
    assert parse_errors([newer], 2022) == []


def test_our_scripts_call_no_built_in_newer_than_chromium_80(service_worker):
    ours = [path for path in STATIC_JS if path.name != "htmx.min.js"] + [service_worker]
    found = [
        f"{path.name}: {name}"
        for path in ours
        for pattern, name in NEWER_THAN_CHROMIUM_80.items()
        if re.search(pattern, path.read_text())
    ]
    assert found == []
