"""The task queue: where it lives (TASK_QUEUE_URL and its defaults), the periodic tasks every
worker runs, an enqueue that never fails a caller, and `flask worker` refusing immediate mode."""

from __future__ import annotations

from datetime import datetime

import pytest
from huey import RedisHuey, SqliteHuey

from tests.support.gunicorn_server import free_port
from webapp.infra import task_queue
from webapp.infra.settings import INSTANCE_DIR, Config
from webapp.services.housekeeping import PURGE_TASK
from webapp.services.mail import SEND_TASK, SWEEP_TASK


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"TASK_QUEUE_URL": "sqlite:////srv/q.db"}, "sqlite:////srv/q.db"),
        (
            {"TASK_QUEUE_URL": "redis://q:6379/2", "REDIS_URL": "redis://c:6379/0"},
            "redis://q:6379/2",
        ),
        ({"REDIS_URL": "redis://c:6379/0"}, "redis://c:6379/0"),
        ({"DATABASE_URL": "sqlite:////srv/tally.db"}, "sqlite:////srv/tally.db.tasks"),
        ({"DATABASE_URL": "postgresql+psycopg://db/tally"}, f"sqlite:///{INSTANCE_DIR}/tasks.db"),
        ({"DATABASE_URL": "sqlite://"}, f"sqlite:///{INSTANCE_DIR}/tasks.db"),
        ({}, f"sqlite:///{INSTANCE_DIR}/tally.db.tasks"),
    ],
)
def test_the_queue_lives_where_the_settings_say(environ, expected):
    assert Config(environ).as_dict()["TASK_QUEUE_URL"] == expected


def test_a_url_picks_its_storage(tmp_path):
    assert isinstance(task_queue.build_huey(f"sqlite:///{tmp_path / 'q.db'}"), SqliteHuey)
    assert isinstance(task_queue.build_huey("redis://127.0.0.1:6379/0"), RedisHuey)
    with pytest.raises(ValueError, match="TASK_QUEUE_URL must be"):
        task_queue.build_huey("amqp://broker")


def test_every_worker_runs_the_sweep_each_minute_and_the_purge_daily(app):
    queue = task_queue.queue_of(app)
    assert set(queue.tasks) >= {SEND_TASK, SWEEP_TASK, PURGE_TASK}
    assert task_queue.declared_periodic() == sorted([SWEEP_TASK, PURGE_TASK])

    def due(moment: datetime) -> set[str]:
        return {type(task).__name__ for task in queue.huey.read_periodic(moment)}

    minutes = [datetime(2026, 12, 7, hour, minute) for hour in range(24) for minute in range(60)]
    assert all(SWEEP_TASK in due(moment) for moment in minutes)
    assert [m for m in minutes if PURGE_TASK in due(m)] == [datetime(2026, 12, 7, 3, 17)]


def test_a_queue_that_is_down_fails_no_caller_and_is_logged(make_app, caplog):
    down = make_app(
        TASK_QUEUE_IMMEDIATE="false", TASK_QUEUE_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    with down.app_context():
        assert task_queue.enqueue(SWEEP_TASK) is False
    (record,) = [r for r in caplog.records if r.name == "webapp.infra.task_queue"]
    assert record.getMessage() == "task not queued; its work stays for the periodic sweep"
    assert record.fields == {"task": SWEEP_TASK, "error": "ConnectionError"}


def test_flask_worker_refuses_immediate_mode(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "TASK_QUEUE_IMMEDIATE runs tasks as they are queued: no worker." in result.output
