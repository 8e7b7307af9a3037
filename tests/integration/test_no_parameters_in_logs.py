"""A database error names its statement in the log, never the values it carried."""

from __future__ import annotations

import json

from clients import PASSWORD
from envelopes import assert_error
from sqlalchemy import text

from webapp.extensions import db

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
