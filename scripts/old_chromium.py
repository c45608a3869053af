"""Fetch the old Chromium engines the browser tests also run on (docs/tablets.md, "Browsers").

信创 desktops and the tablets government offices are issued run Chromium 80 to 93. Chromium's
own old builds are not on any registry this project installs from; the npm package
``chrome-aws-lambda`` carries one headless Linux build per release (made for serverless
functions, so it needs no display and few system libraries), and the npm registry serves every
old release. This script downloads the pinned releases straight from the registry, checks each
tarball against the sha512 the registry published for it (pinned here, so a changed file is
refused), and unpacks the brotli-compressed binary to ``var/chromium/<major>/chromium``.

Run by ``make test`` before the suite; a machine that cannot reach the registry gets a notice and
the old-engine tests are skipped there, saying why (tests/browser/conftest.py).

    python scripts/old_chromium.py [--dest var/chromium]
"""

import argparse
import base64
import hashlib
import io
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

import brotli

REGISTRY = "https://registry.npmjs.org/chrome-aws-lambda/-/chrome-aws-lambda-{version}.tgz"
# Chromium major → (chrome-aws-lambda release, the registry's dist.integrity for its tarball).
# 80 is the oldest engine the users carry, but Playwright cannot drive it (it needs the
# Browser.setDownloadBehavior command and the browser-wide auto-attach of Chromium 83); 80 is
# checked over the DevTools protocol directly (tests/browser/test_chromium_80.py).
ENGINES = {
    80: (
        "2.1.1",
        "sha512-Wer2QuygxsCov5bM2+8CLa6qYpNsc5AxYTlgTne00aFoxFP491LGJRxOQtGnYtsJP6UG4pB0SfrwTyPnLys1Lw==",
    ),
    83: (
        "3.1.1",
        "sha512-ikOcpFgobiiUvDXtBft+jxVz2CsauRV58owDtVyF1ocl/YN+/eqdIrrmbItm3yeJGnb9RtKxzFAqGcpBTQbTCA==",
    ),
    92: (
        "10.1.0",
        "sha512-NZQVf+J4kqG4sVhRm3WNmOfzY0OtTSm+S8rg77pwePa9RCYHzhnzRs8YvNI6L9tALIW6RpmefWiPURt3vURXcw==",
    ),
}
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / "var" / "chromium"


def fetch(major, dest):
    version, integrity = ENGINES[major]
    binary = dest / str(major) / "chromium"
    if binary.exists():
        return binary
    url = REGISTRY.format(version=version)
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (a fixed https address)
        tarball = response.read()
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
    if digest != integrity:
        raise SystemExit(f"{url}: sha512 {digest} is not the pinned {integrity}; refused")
    with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
        compressed = archive.extractfile("package/bin/chromium.br").read()
    binary.parent.mkdir(parents=True, exist_ok=True)
    # Written under a name of this process's own and renamed into place last: an interrupted
    # download is fetched again next time, and two runs at once (CI's SQLite and PostgreSQL
    # suites) each put a whole, identical file there.
    partial = binary.with_name(f"chromium.{os.getpid()}.partial")
    try:
        partial.write_bytes(brotli.decompress(compressed))
        partial.chmod(0o755)
        os.replace(partial, binary)
    finally:
        partial.unlink(missing_ok=True)
    return binary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args()
    failed = False
    for major in ENGINES:
        try:
            binary = fetch(major, args.dest)
        except OSError as error:
            failed = True
            print(
                f"NOTE: Chromium {major} not fetched ({error}); its tests are skipped.",
                file=sys.stderr,
            )
        else:
            print(
                f"Chromium {major}: {binary.relative_to(ROOT) if binary.is_relative_to(ROOT) else binary}"
            )
    return 1 if failed and os.environ.get("CI") else 0


if __name__ == "__main__":
    sys.exit(main())
