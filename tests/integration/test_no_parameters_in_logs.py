"""What the logs never carry: the values a failed statement held (only the statement is
named), and a mailed link's token, whatever path or method brings it."""

from __future__ import annotations

import json

from sqlalchemy import text

from tests.support.clients import PASSWORD
from tests.support.envelopes import assert_error
from tests.support.mailed_links import link_requests
from webapp.infra import metrics
from webapp.infra.extensions import db

REFUSE_USERS = {
    "sqlite": [
        "CREATE TRIGGER refuse_users BEFORE INSERT ON users "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_users() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        "CREATE TRIGGER refuse_users BEFORE INSERT ON users "
        "FOR EACH ROW EXECUTE FUNCTION refuse_users()",
    ],
}
DROP = {
    "sqlite": ["DROP TRIGGER refuse_users"],
    "postgresql": ["DROP TRIGGER refuse_users ON users", "DROP FUNCTION refuse_users()"],
}


def run_all(app, statements: dict[str, list[str]]) -> None:
    with app.app_context(), db.engine.begin() as connection:
        for statement in statements[connection.dialect.name]:
            connection.execute(text(statement))


def test_a_failed_insert_logs_no_password_hash_nor_email(app, client, capsys):
    run_all(app, REFUSE_USERS)
    try:
        capsys.readouterr()
        body = {"email": "hidden@example.com", "password": PASSWORD, "name": "Hidden"}
        assert_error(client.post("/api/v1/auth/register", json=body), 500, "INTERNAL_ERROR")
        output = capsys.readouterr()
    finally:
        run_all(app, DROP)
    lines = [json.loads(line) for line in output.out.splitlines() if line.strip()]
    logged = "\n".join(output.out.splitlines() + output.err.splitlines())
    assert any("refused by the test" in json.dumps(line) for line in lines)  # it was logged
    assert "INSERT INTO users" in logged  # with its statement
    assert "$argon2" not in logged  # but not the hash it tried to store
    assert "hidden@example.com" not in logged
    assert PASSWORD not in logged


def test_no_mailed_links_token_is_logged_whatever_the_path_or_method(client, app, capsys):
    requests = link_requests(app)
    capsys.readouterr()
    statuses = {client.open(r.path, method=r.method).status_code for r in requests}
    output = capsys.readouterr()
    assert statuses >= {200, 404, 405}  # the routes answered, missed and refused
    logged = output.out + output.err + metrics.exposition().decode()
    leaked = [(r.method, r.path) for r in requests if r.token in logged]
    assert leaked == []
    access_paths = [
        line["path"]
        for line in map(json.loads, output.out.splitlines())
        if line.get("logger") == "tally.request"
    ]
    assert len(access_paths) == len(requests)  # each was logged, with its route instead
    assert {"/reset-password/<token>", "/verify-email/<token>"} <= set(access_paths)
