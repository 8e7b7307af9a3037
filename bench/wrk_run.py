"""wrk for bench/http_bench.py: found (or installed from Debian's packages when this runs
as root), run with a Lua script, and its figures read from report.lua's done() line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPORT_SCRIPT = BENCH_DIR / "report.lua"
TRANSFER_SCRIPT = BENCH_DIR / "transfer.lua"
RESULT_PREFIX = "BENCH_RESULT "
INSTALL_HINT = "apt-get update && apt-get install -y wrk"


class WrkMissing(RuntimeError):
    """wrk is not installed and could not be installed here."""


class WrkFailed(RuntimeError):
    """wrk ran but gave no figures."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    status_errors: int  # responses with a status of 400 or more
    socket_errors: int  # connect, read and write errors and timeouts

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def ensure_wrk() -> str:
    """The path of wrk; installs Debian's package first when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise WrkMissing(f"wrk is not installed; install it with: sudo sh -c '{INSTALL_HINT}'")
    print("== wrk is missing: installing Debian's package (apt-get install -y wrk)", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, **quiet).returncode:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, check=True, **quiet)
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing(f"apt-get did not leave a wrk on PATH; try: {INSTALL_HINT}")
    return found


def wrk_version(wrk: str) -> str:
    """wrk's first line of `-v` (it exits 1 after printing its usage)."""
    shown = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    first = (shown.stdout or shown.stderr).splitlines()[0]
    return first.split(" Copyright")[0].strip()


def run_wrk(
    wrk: str,
    url: str,
    *,
    threads: int,
    connections: int,
    duration_s: float,
    headers: Mapping[str, str] | None = None,
    script: Path = REPORT_SCRIPT,
    script_args: Sequence[str] = (),
) -> WrkResult:
    """One wrk run against `url`; its figures from the done() line of report.lua."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration_s))}s",
        "-s",
        str(script),
    ]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if script_args:
        command += ["--", *script_args]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    line = next(
        (x for x in done.stdout.splitlines() if x.startswith(RESULT_PREFIX)),
        None,
    )
    if done.returncode != 0 or line is None:
        cut = command.index("--") if script_args else len(command)
        shown = " ".join(
            c if "Bearer" not in c else "'Authorization: Bearer …'" for c in command[:cut]
        ) + (" -- …" if script_args else "")
        raise WrkFailed(
            f"wrk exited {done.returncode} without figures: {shown}\n"
            f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    figures = json.loads(line[len(RESULT_PREFIX) :])
    return WrkResult(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p90_ms=figures["p90_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        status_errors=figures["status_errors"],
        socket_errors=figures["connect_errors"]
        + figures["read_errors"]
        + figures["write_errors"]
        + figures["timeouts"],
    )
