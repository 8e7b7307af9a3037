"""Fuzz Tally's /api/v1 with schemathesis, from its own OpenAPI document, as an admin and a member.

What runs: for each role, a fresh copy of the real app (gunicorn, a new SQLite database
seeded by `flask seed-demo`, rate limits off; see serve.py), then `schemathesis run` over
every operation of the document served at GET /api/v1/openapi.json (or `--schema`), with
the settings in tests/fuzz/schemathesis.toml: 120 examples per operation and phase, the
examples, coverage, fuzzing and stateful (links) phases, and every check schemathesis has.
The seed changes over time, so that each day's run (or each CI run) tries new cases: it is
--seed when given, else FUZZ_SEED (set it to a CI run's number), else today's UTC date as
YYYYMMDD. It is printed first and last; the same seed sends the same cases again. The
admin's run and the member's run each get their own app, so what one changes (a role, an
archived product, a deactivated member) never skews the other.

    .venv/bin/python tests/fuzz/run.py                        # both roles, the live document
    .venv/bin/python tests/fuzz/run.py --role member          # one role
    .venv/bin/python tests/fuzz/run.py --schema /tmp/doc.json # another document (path or URL)
    .venv/bin/python tests/fuzz/run.py --seed 20261207        # a failing run's cases again
    .venv/bin/python tests/fuzz/run.py -- --max-examples 5    # more schemathesis flags

It exits non-zero when schemathesis reports any failure or error in either run, when the
document is not served, or when a run ended its own session. Reports (JUnit XML, a VCR
cassette of every request, schemathesis's JSON report, its console output, the server's
log and a copy of the document fuzzed) go to tests/fuzz/artifacts/<role>/.

Operations excluded, because each ends the session whose token the run uses, after which
every later request would be a 401 that says nothing about the API:
- POST /auth/logout: ends the session of the refresh token in its body. It cannot reach
  the run's own session, whose refresh token schemathesis never sees, only sessions that
  its own logins open (links: login → logout); it goes with the other session-ending
  operations all the same, and tests/api/test_auth_api.py covers it.
- POST /auth/logout-all: ends every session of the caller, the run's own included.
- POST /users/{id}/revoke-sessions: ends every session of that user; ids are small
  integers, so the admin's run would soon revoke its own.
- POST /users/me/close: closes the caller's account given its password (which the fuzzer
  never guesses); its wrong passwords would spend the current-password limit PATCH
  /users/me shares. tests/api/test_closing_api.py covers it.
Not excluded: PATCH /users/{id}, whose only way to end the caller's token is deactivating
or demoting themselves, which the service refuses ("You cannot lock yourself out.");
PATCH /users/me, whose password change keeps the caller's session.

positive_data_acceptance stays on. Its expected statuses (schemathesis's defaults: 2xx,
3xx, 401, 403 for a missing role, 404 for another's resource, 409 for a conflict, 429)
gain 422 where a valid body may meet a rule no schema can state (POST /transfers, POST
/orders, POST /auth/register, POST /auth/password-reset, PATCH /users/me, PATCH
/users/{id}, …: schemathesis.toml lists them) and 400 on the cursor pages (a cursor the
API never gave out); hooks.py's check then fails every such refusal that is not one of
that operation's named rules (INSUFFICIENT_FUNDS, OUT_OF_STOCK, …, a transfer to its own
account, a wrong current password, an email on a special-use domain, a malformed cursor).

Expected noise: in the member's run schemathesis warns that the admin-only operations
answered nothing but 403. That is their contract (403 for a missing role), not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serve import (
    ADMIN_EMAIL,
    BIN,
    MEMBER_EMAIL,
    ROOT,
    SECOND_MEMBER_EMAIL,
    ServedApp,
    request_json,
    served_app,
)

FUZZ_DIR = Path(__file__).resolve().parent
CONFIG = FUZZ_DIR / "schemathesis.toml"
ARTIFACTS = FUZZ_DIR / "artifacts"
DOCUMENT_PATH = "/openapi.json"  # under /api/v1
RUN_TIMEOUT_SECONDS = 20 * 60  # per role; a healthy run takes a few minutes

# The identities in the auth file; schemathesis.toml names the two members as peers.
IDENTITIES = {"admin": ADMIN_EMAIL, "member": MEMBER_EMAIL, "second-member": SECOND_MEMBER_EMAIL}
ROLES = ("admin", "member")
# The ids schemathesis.toml's dictionaries feed into bodies: seed-demo's, on a fresh database.
SEEDED_MAIN_ACCOUNTS = {"member": "1", "second-member": "2", "admin": "4"}
SEEDED_PRODUCTS = {"1", "2", "3", "4", "5"}


@dataclass
class RoleResult:
    role: str
    exit_code: int
    seconds: float
    report: dict[str, Any] | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.problems


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Fuzz Tally's API with schemathesis as an admin and as a member.",
        epilog="Arguments after `--` go to `schemathesis run` unchanged.",
    )
    parser.add_argument(
        "--schema",
        metavar="PATH_OR_URL",
        help="the OpenAPI document (default: the served app's /api/v1/openapi.json)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="schemathesis's seed (default: FUZZ_SEED, else today's UTC date as YYYYMMDD)",
    )
    parser.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        help="run only this role (repeatable; default: both)",
    )
    given = list(argv)
    split = given.index("--") if "--" in given else len(given)
    arguments = parser.parse_args(given[:split])
    arguments.extra = given[split + 1 :]
    return arguments


def chosen_seed(given: int | None) -> tuple[int, str]:
    """The run's seed, and where it came from."""
    if given is not None:
        return given, "--seed"
    if from_ci := os.environ.get("FUZZ_SEED", "").strip():
        return int(from_ci), "FUZZ_SEED"
    return int(datetime.now(UTC).strftime("%Y%m%d")), "today's UTC date"


def write_auth_file(folder: Path, app: ServedApp) -> Path:
    """A Web Fuzzing Commons auth document: each identity's access token as a fixed header."""
    document = {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {app.tokens[email]}"}],
            }
            for name, email in IDENTITIES.items()
        ]
    }
    path = folder / "auth.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    path.chmod(0o600)
    return path


def locate_document(schema: str | None, app: ServedApp, reports: Path) -> tuple[str, str | None]:
    """(the location to hand schemathesis, or why there is nothing to fuzz).

    A served document is kept beside the reports: it may change between two runs.
    """
    if schema is None:
        schema = app.api + DOCUMENT_PATH
    if schema.startswith(("http://", "https://")):
        try:
            status, document = request_json("GET", schema)
        except OSError as error:
            return schema, f"GET {schema} failed ({error}): no OpenAPI document to fuzz"
        if status != 200:
            return schema, f"GET {schema} answered {status}: no OpenAPI document to fuzz"
        (reports / "openapi.json").write_text(json.dumps(document, indent=1), encoding="utf-8")
        return schema, None
    path = Path(schema).resolve()
    if not path.is_file():
        return str(path), f"{path} does not exist"
    return str(path), None


def check_seeded_ids(app: ServedApp) -> str | None:
    """Why the ids in schemathesis.toml's dictionaries are not the seeded ones, if they are not."""
    for name, account_id in SEEDED_MAIN_ACCOUNTS.items():
        _, body = request_json("GET", app.api + "/accounts", token=app.tokens[IDENTITIES[name]])
        owned = {account["id"] for account in (body or {}).get("data", [])}
        if account_id not in owned:
            return f"{name}'s Main account is not {account_id} (has {sorted(owned)})"
    _, body = request_json("GET", app.api + "/products?limit=100")
    products = {product["id"] for product in (body or {}).get("data", [])}
    if not SEEDED_PRODUCTS.issubset(products):
        return f"the seeded products are {sorted(products)}, not {sorted(SEEDED_PRODUCTS)}"
    return None


def pump(process: subprocess.Popen[str], transcript: Path) -> None:
    """Show schemathesis's output as it comes, and keep a copy beside the reports."""
    assert process.stdout is not None
    with transcript.open("w", encoding="utf-8") as copy:
        for line in process.stdout:
            sys.stdout.write(line)
            copy.write(line)
    sys.stdout.flush()


def run_schemathesis(
    role: str, app: ServedApp, document: str, reports: Path, seed: int, extra: Sequence[str]
) -> int:
    with tempfile.TemporaryDirectory(prefix="tally-fuzz-auth-") as secrets_dir:
        env = dict(
            os.environ,
            TALLY_FUZZ_AUTH_FILE=write_auth_file(Path(secrets_dir), app).as_posix(),
            TALLY_FUZZ_USER=role,
            PYTHONUNBUFFERED="1",
            # hooks.py reads the services' own messages: it imports webapp.
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        command = [
            str(BIN / "schemathesis"),
            "--config-file",
            str(CONFIG),
            "run",
            document,
            "--origin",
            app.origin,
            "--seed",
            str(seed),
            "--report-junit-path",
            str(reports / "junit.xml"),
            "--report-vcr-path",
            str(reports / "cassette.yaml"),
            "--report-json-path",
            str(reports / "report.json"),
            *extra,
        ]
        print(f"$ schemathesis run {document} --origin {app.origin} (as {role})", flush=True)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: a timeout ends all of it
        )
        timer = threading.Timer(RUN_TIMEOUT_SECONDS, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            pump(process, reports / "schemathesis.txt")
            return process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def fuzz_role(role: str, schema: str | None, seed: int, extra: Sequence[str]) -> RoleResult:
    reports = ARTIFACTS / role
    shutil.rmtree(reports, ignore_errors=True)
    reports.mkdir(parents=True)
    started = time.monotonic()
    print(f"\n=== {role}: serving a fresh Tally (SQLite, rate limits off) ===", flush=True)
    with served_app(reports / "server.log") as app:
        document, missing = locate_document(schema, app, reports)
        if missing is not None:
            return RoleResult(role, 2, time.monotonic() - started, None, [missing])
        if (moved := check_seeded_ids(app)) is not None:
            problem = f"{moved}: update the dictionaries in {CONFIG.relative_to(ROOT)}"
            return RoleResult(role, 2, time.monotonic() - started, None, [problem])
        exit_code = run_schemathesis(role, app, document, reports, seed, extra)
        result = RoleResult(role, exit_code, time.monotonic() - started, read_report(reports))
        status, _ = request_json("GET", app.api + "/users/me", token=app.tokens[IDENTITIES[role]])
        if status != 200:
            result.problems.append(
                f"the {role}'s own token died during the run (GET /users/me → {status}): "
                "an operation that ends it needs excluding in schemathesis.toml"
            )
    if exit_code < 0 or (exit_code != 0 and result.report is None):
        result.problems.append(f"schemathesis stopped without a report (exit {exit_code})")
    return result


def read_report(reports: Path) -> dict[str, Any] | None:
    try:
        report = json.loads((reports / "report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return report if isinstance(report, dict) else None


def summarise(result: RoleResult) -> list[str]:
    verdict = "passed" if result.ok else "FAILED"
    lines = [f"{result.role}: {verdict} in {result.seconds:.0f}s (exit {result.exit_code})"]
    report = result.report
    if report is not None:
        operations, cases = report.get("operations", {}), report.get("test_cases", {})
        phases = ", ".join(
            f"{name} {phase.get('status')}" for name, phase in report.get("phases", {}).items()
        )
        lines.append(
            f"  operations tested {operations.get('tested')}/{operations.get('selected')}"
            f" (of {operations.get('total')}); test cases {cases.get('generated')},"
            f" with failures {cases.get('with_failures')}; phases: {phases}"
        )
        for failure in report.get("failures", []):
            names = ", ".join(failure.get("operations", []))
            lines.append(
                f"  {failure.get('code')} {failure.get('title')} x{failure.get('count')}: {names}"
            )
        for error in report.get("errors", []):
            lines.append(f"  error: {json.dumps(error)[:300]}")
    lines.extend(f"  {problem}" for problem in result.problems)
    lines.append(f"  reports: {(ARTIFACTS / result.role).relative_to(ROOT)}/")
    return lines


def main(argv: Sequence[str]) -> int:
    arguments = parse_arguments(argv)
    roles = arguments.role or list(ROLES)
    seed, source = chosen_seed(arguments.seed)
    replay = f"Seed {seed} (from {source}); these cases again: tests/fuzz/run.py --seed {seed}"
    print(replay, flush=True)
    print(
        "Fuzzing Tally's API as "
        + " and ".join(roles)
        + ". The app under test runs with RATELIMIT_ENABLED=false, so that the fuzzer is"
        " never throttled: 429s and rate-limit headers are not exercised here."
    )
    started = time.monotonic()
    results = [fuzz_role(role, arguments.schema, seed, arguments.extra) for role in roles]
    print("\n=== summary ===")
    for result in results:
        print("\n".join(summarise(result)))
    print(f"{replay}\nIn all {time.monotonic() - started:.0f}s.")
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanups on a kill
    sys.exit(main(sys.argv[1:]))
