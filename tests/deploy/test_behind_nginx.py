"""Tally as deployed: nginx in front of two hosts on PostgreSQL (straight, or through
PgBouncer) and Redis. Everything goes through nginx, as a user's request would; which host
answered is read from each host's own access log."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from stack import PASSWORD, Client, Stack, wait_for

# Requests in a row that nginx's round robin spreads over both hosts at least twice.
ROUND = 6


def logged_in_member(stack: Stack, email: str | None = None) -> tuple[Client, dict]:
    """A new member, logged in from an address of their own: (client, user)."""
    email = email or f"m-{uuid.uuid4().hex[:10]}@example.com"
    client = stack.client()
    made = client.post(
        "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Member"}
    )
    assert made.status == 201, made.body
    login = client.post("/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    client.token = login.data["accessToken"]
    client.refresh_token = login.data["refreshToken"]  # type: ignore[attr-defined]
    return client, made.data


def served_by_both(stack: Stack, path: str) -> bool:
    return all(host.access_lines(path) for host in stack.hosts)


def until_both_serve(stack: Stack, timeout: float = 30) -> None:
    """Wait until nginx sends requests to both hosts again: a host it set aside after
    failures (max_fails) is tried again only once its fail_timeout is over."""
    path = "/api/v1/products"
    seen = [len(host.access_lines(path)) for host in stack.hosts]
    client = stack.client()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client.get(path)
        now = [len(host.access_lines(path)) for host in stack.hosts]
        if all(after > before for after, before in zip(now, seen, strict=True)):
            return
        time.sleep(0.2)
    raise AssertionError("nginx did not send requests to both hosts again")


def test_logins_are_limited_per_client_ip_across_both_hosts(stack: Stack):
    for _ in range(2):  # two client IPs, ten each
        client = stack.client()
        statuses = [
            client.post(
                "/api/v1/auth/login",
                {"email": f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 12},
            ).status
            for n in range(15)
        ]
        assert Counter(statuses) == {401: 10, 429: 5}, statuses
        assert statuses[-5:] == [429] * 5
    assert served_by_both(stack, "/api/v1/auth/login")


def test_the_client_ip_is_the_one_nginx_saw_not_one_the_client_claims(stack: Stack):
    client = stack.client()
    for n in range(12):  # a new forged address each time: it must not buy more tries
        client.post(
            "/api/v1/auth/login",
            {"email": f"spoof-{n}-{uuid.uuid4().hex[:6]}@example.com", "password": "x" * 12},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
    limited = client.post(
        "/api/v1/auth/login", {"email": "spoof-last@example.com", "password": "x" * 12}
    )
    assert limited.status == 429
    assert limited.body["error"]["code"] == "RATE_LIMITED"


def test_a_product_change_through_one_host_is_seen_through_the_other_at_once(stack: Stack):
    admin = stack.client(stack.admin_token)
    made = admin.post(
        "/api/v1/products",
        {"sku": f"SKU-{uuid.uuid4().hex[:8]}", "name": "Lamp", "price": 1000, "stock": 5},
    )
    assert made.status == 201, made.body
    path = f"/api/v1/products/{made.data['id']}"
    anyone = stack.client()
    for _ in range(ROUND):  # both hosts now hold it in the shared cache
        assert anyone.get(path).data["price"] == 1000
    assert admin.patch(path, {"price": 1250}).status == 200
    assert [anyone.get(path).data["price"] for _ in range(ROUND)] == [1250] * ROUND
    assert served_by_both(stack, path)


def test_deactivation_and_logout_lock_the_user_out_on_both_hosts_at_once(stack: Stack):
    admin = stack.client(stack.admin_token)
    deactivated, user = logged_in_member(stack)
    loggedout, _ = logged_in_member(stack)
    for client in (deactivated, loggedout):
        assert [client.get("/api/v1/users/me").status for _ in range(ROUND)] == [200] * ROUND

    assert admin.patch(f"/api/v1/users/{user['id']}", {"isActive": False}).status == 200
    refresh = loggedout.refresh_token  # type: ignore[attr-defined]
    assert loggedout.post("/api/v1/auth/logout", {"refreshToken": refresh}).status == 204

    for client in (deactivated, loggedout):
        assert [client.get("/api/v1/users/me").status for _ in range(ROUND)] == [401] * ROUND
    assert served_by_both(stack, "/api/v1/users/me")


def funded_members(stack: Stack, count: int, amount: int) -> list[tuple[Client, str]]:
    admin = stack.client(stack.admin_token)
    members = []
    for _ in range(count):
        client, _user = logged_in_member(stack)
        [account] = client.get("/api/v1/accounts").data
        deposit = admin.post(f"/api/v1/accounts/{account['id']}/deposits", {"amount": amount})
        assert deposit.status == 201, deposit.body
        members.append((client, account["id"]))
    return members


def test_200_concurrent_transfers_over_both_hosts_keep_the_ledger(stack: Stack):
    (alice, a), (bob, b) = funded_members(stack, 2, 10_000)

    def send(n: int) -> int:
        client, source, target = (alice, a, b) if n % 2 else (bob, b, a)
        return client.post(
            "/api/v1/transfers",
            {"fromAccountId": source, "toAccountId": target, "amount": 7 + n % 5},
            headers={"Idempotency-Key": f"t-{n}-{uuid.uuid4().hex}"},
        ).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = Counter(pool.map(send, range(200)))
    assert statuses == {201: 200}, statuses
    balances = [alice.get(f"/api/v1/accounts/{a}").data["balance"]]
    balances.append(bob.get(f"/api/v1/accounts/{b}").data["balance"])
    assert sum(balances) == 20_000
    verified = stack.flask("verify-ledger")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert served_by_both(stack, "/api/v1/transfers")


class Load:
    """Reads and writes through nginx in a loop until stopped; every status is kept."""

    def __init__(self, stack: Stack) -> None:
        (self.alice, self.a), (self.bob, self.b) = funded_members(stack, 2, 1_000_000)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self._stop = threading.Event()
        self.members = [(self.alice, self.a), (self.bob, self.b)]
        self.concurrency = 4
        self._threads = [
            threading.Thread(target=self._run, args=(n,)) for n in range(self.concurrency)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _run(self, n: int) -> None:
        while not self._stop.is_set():
            if n % 2:
                answer = self.alice.get("/api/v1/users/me")
                self.statuses[("read", answer.status)] += 1
                answer = self.bob.get("/api/v1/products")
                self.statuses[("read", answer.status)] += 1
            else:
                answer = self.alice.post(
                    "/api/v1/transfers",
                    {"fromAccountId": self.a, "toAccountId": self.b, "amount": 1},
                    headers={"Idempotency-Key": uuid.uuid4().hex},
                )
                self.statuses[("write", answer.status)] += 1
            time.sleep(0.02)

    def count(self) -> int:
        return sum(self.statuses.values())

    def wait_for(self, more: int, timeout: float = 30) -> None:
        target = self.count() + more
        deadline = time.monotonic() + timeout
        while self.count() < target and time.monotonic() < deadline:
            time.sleep(0.05)


def settled_balance(client: Client, account: str) -> int:
    """The account's balance once the pool has settled (a host may be set aside a moment)."""
    for _ in range(20):
        answer = client.get(f"/api/v1/accounts/{account}")
        if answer.status == 200:
            return int(answer.data["balance"])
        time.sleep(0.25)
    raise AssertionError(f"the balance of {account} could not be read: {answer.status}")


def test_redis_stopping_mid_run_fails_no_request_and_everything_returns_to_it(stack: Stack):
    with Load(stack) as load:
        load.wait_for(40)
        stack.redis.stop()
        load.wait_for(80)
        stack.redis.start()
        time.sleep(3)  # the limiter looks for its storage again every few seconds
        load.wait_for(80)
    assert {status for _, status in load.statuses} == {200, 201}, load.statuses
    for host in stack.hosts:  # one warning per worker, not one per request
        warnings = host.server.output().count("cache backend failed; serving from the database")
        assert 1 <= warnings <= 2, host.name
    # Back on Redis: the cache and the limiter write there again.
    keys = subprocess.run(
        ["redis-cli", "-p", str(stack.redis.port), "--scan"], capture_output=True, text=True
    ).stdout.split()
    assert any(key.startswith("flask_cache_") or "user:" in key for key in keys), keys
    assert any("LIMITS" in key or "LIMITER" in key for key in keys), keys


def test_the_database_going_away_is_a_503_envelope_and_the_app_recovers(stack: Stack):
    client, _ = logged_in_member(stack)
    stack.relay.cut()
    try:
        answers = [client.get("/api/v1/accounts") for _ in range(ROUND)]
        assert {answer.status for answer in answers} == {503}
        for answer in answers:
            assert answer.body["error"]["code"] == "SERVICE_UNAVAILABLE"
            assert answer.body["meta"]["requestId"] == answer.headers["x-request-id"]
            assert "Traceback" not in str(answer.body)
        ready = stack.client().get("/readyz")
        assert ready.status == 503
        page = stack.client().get(f"/shop/{uuid.uuid4().int % 10**9}")  # not cached: read
        assert page.status == 503 and "<html" in page.body and "Traceback" not in page.body
    finally:
        stack.relay.restore()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(client.get("/api/v1/accounts").status == 200 for _ in range(ROUND)):
            break
        time.sleep(0.5)
    assert [client.get("/api/v1/accounts").status for _ in range(ROUND)] == [200] * ROUND
    assert stack.client().get("/readyz").status == 200


def test_a_body_over_the_limit_is_refused_by_nginx_with_the_envelope(stack: Stack):
    answer = stack.client().request(
        "POST",
        "/api/v1/auth/login",
        raw=b'{"email": "' + b"a" * 70_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status == 413
    assert answer.body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert answer.body["meta"]["requestId"] == answer.headers["x-request-id"]


def test_static_files_come_from_nginx_with_long_cache_headers(stack: Stack):
    page = stack.client().get("/login").body
    start = page.index("/static/css/tally.css?v=")
    stylesheet = page[start : page.index('"', start)]
    answer = stack.client().get(stylesheet)
    assert answer.status == 200
    assert "immutable" in answer.headers["cache-control"]
    assert not any(host.access_lines("/static/css/tally.css") for host in stack.hosts)


def test_metrics_are_not_served_through_the_proxy(stack: Stack):
    token = stack.env["METRICS_TOKEN"]
    answer = stack.client().get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 404


def test_purge_expired_on_two_hosts_at_once_deletes_each_row_once(stack: Stack):
    admin_id = int(stack.client(stack.admin_token).get("/api/v1/users/me").data["id"])
    rows = ", ".join(
        f"({admin_id}, 'expired-{n}-{uuid.uuid4().hex}', '{'f' * 64}', now() - interval '1 hour',"
        " now() - interval '25 hours')"
        for n in range(50)
    )
    stack.sql(
        "INSERT INTO idempotency_keys (user_id, key, request_fingerprint, expires_at, created_at)"
        f" VALUES {rows}"
    )
    runs = [stack.flask_process("purge-expired", "--batch-size", "3") for _ in range(2)]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    deleted = [
        int(line.split(": ")[1].split()[0])
        for output in outputs
        for line in output.splitlines()
        if line.startswith("idempotency_keys: ")
    ]
    assert len(deleted) == 2 and sum(deleted) == 50, outputs
    left = stack.sql("SELECT count(*) FROM idempotency_keys WHERE expires_at < now()")
    assert left == [(0,)]


def test_mail_goes_out_through_the_workers_each_mail_once(stack: Stack):
    emails = [f"mail-{n}-{uuid.uuid4().hex[:8]}@example.com" for n in range(8)]
    sent_before = sum(host.ran("mail.send") for host in stack.hosts)
    for email in emails:
        made = stack.client().post(
            "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Member"}
        )
        assert made.status == 201, made.body
    mail_folder = stack.workdir / "mail"

    def delivered() -> list[str]:
        texts = [path.read_text() for path in mail_folder.glob("*.eml")]
        return [email for email in emails for text in texts if f"To: {email}" in text]

    wait_for(lambda: len(delivered()) >= len(emails), "the mails", timeout=30)
    time.sleep(1)  # a second copy, were one on its way, would be written by now
    assert sorted(delivered()) == sorted(emails)  # each once
    quoted = ", ".join(f"'{email}'" for email in emails)
    rows = stack.sql(
        f"SELECT attempts, sent_at IS NOT NULL FROM outbox_mails WHERE recipient IN ({quoted})"
    )
    assert rows == [(1, True)] * len(emails)
    # Sent by the workers (one per host), never by a web process.
    assert sum(host.ran("mail.send") for host in stack.hosts) - sent_before >= len(emails)


def test_sigterm_to_one_host_under_load_costs_the_clients_nothing(stack: Stack):
    host = stack.hosts[0]
    with Load(stack) as load:
        load.wait_for(40)
        host.server.signal(signal.SIGTERM)
        host.server.process.wait(60)  # gunicorn finishes what it holds, then exits
        load.wait_for(60)
        host.start()  # back in the pool for whatever runs next
        load.wait_for(40)
    assert {status for _, status in load.statuses} <= {200, 201}, load.statuses
    assert "Shutting down: Master" in host.server.output()


def test_a_worker_killed_mid_transfer_loses_and_makes_no_money(stack: Stack):
    host = stack.hosts[1]
    until_both_serve(stack)  # one fault at a time: the other host must be in the pool
    with Load(stack) as load:
        load.wait_for(40)
        workers = subprocess.run(
            ["pgrep", "-P", str(host.server.process.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(workers) == 2, workers
        os.kill(int(workers[0]), signal.SIGKILL)
        load.wait_for(80)
    balances = [settled_balance(client, account) for client, account in load.members]
    assert sum(balances) == 2_000_000
    # Only what the dead worker held can have failed: at most one request per load thread.
    failed = load.statuses[("write", 502)] + load.statuses[("read", 502)]
    assert failed <= load.concurrency, load.statuses
    assert {status for _, status in load.statuses} <= {200, 201, 502}, load.statuses
    verified = stack.flask("verify-ledger")
    assert verified.returncode == 0, verified.stdout + verified.stderr
