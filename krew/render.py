#!/usr/bin/env python3
"""Renders krew/supportaccess.yaml from krew/supportaccess.yaml.tmpl.

    krew/render.py --version v0.1.0 [--base-uri URI] [--out FILE] ARCHIVE...

Each ARCHIVE is a kubectl-supportaccess-<version>-<os>-<arch>.tar.gz; its sha256 is computed
here. The platform entry's uri is <base-uri>/<archive name>.
"""

import argparse
import hashlib
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
HOMEPAGE = "https://github.com/kubectl-supportaccess/kubectl-supportaccess"
NAME = re.compile(r"^kubectl-supportaccess-(?P<version>v[^-]+)-(?P<os>linux|darwin|windows)-(?P<arch>amd64|arm64)\.tar\.gz$")


def platform(archive, base_uri, version):
    name = os.path.basename(archive)
    match = NAME.match(name)
    if not match or match["version"] != version:
        raise SystemExit(f"render: {name} is not kubectl-supportaccess-{version}-<os>-<arch>.tar.gz")
    with open(archive, "rb") as f:
        sha256 = hashlib.sha256(f.read()).hexdigest()
    binary = "kubectl-supportaccess.exe" if match["os"] == "windows" else "kubectl-supportaccess"
    return f"""  - selector:
      matchLabels:
        os: {match["os"]}
        arch: {match["arch"]}
    uri: {base_uri}/{name}
    sha256: {sha256}
    bin: {binary}
    files:
    - from: {binary}
      to: .
    - from: LICENSE
      to: .
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--version", required=True)
    parser.add_argument("--base-uri")
    parser.add_argument("--out", default=os.path.join(HERE, "supportaccess.yaml"))
    parser.add_argument("archives", nargs="+")
    args = parser.parse_args()
    base_uri = args.base_uri or f"{HOMEPAGE}/releases/download/{args.version}"
    with open(os.path.join(HERE, "supportaccess.yaml.tmpl")) as f:
        template = f.read()
    platforms = "".join(platform(a, base_uri, args.version) for a in sorted(args.archives)).rstrip("\n")
    text = template.replace("{{VERSION}}", args.version).replace("{{HOMEPAGE}}", HOMEPAGE)
    text = text.replace("{{PLATFORMS}}", platforms)
    with open(args.out, "w") as f:
        f.write(text)
    print(args.out)


if __name__ == "__main__":
    main()
