"""Fill in deploy/nginx.conf: `python deploy/render_nginx.py --listen 127.0.0.1:8080
--app 10.0.0.11:5000 --app 10.0.0.12:5000 > /etc/tally/nginx.conf`."""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "deploy" / "nginx.conf"
STATIC_ROOT = ROOT / "webapp" / "static"


def render(listen: str, apps: list[str], static_root: Path = STATIC_ROOT) -> str:
    servers = "\n        ".join(f"server {app} max_fails=3 fail_timeout=5s;" for app in apps)
    return (
        TEMPLATE.read_text()
        .replace("@@LISTEN@@", listen)
        .replace("@@APP_SERVERS@@", servers)
        .replace("@@STATIC_ROOT@@", f"{static_root.resolve()}/")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="e.g. 127.0.0.1:8080")
    parser.add_argument("--app", action="append", required=True, help="host:port, repeated")
    parser.add_argument("--static-root", type=Path, default=STATIC_ROOT)
    args = parser.parse_args()
    print(render(args.listen, args.app, args.static_root), end="")


if __name__ == "__main__":
    main()
