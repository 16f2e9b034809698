"""The background jobs of the engine: start timer-started processes, fire due timers, deliver
messages, send queued e-mail/SMS notifications (``services.notify.outbox``) and status
callbacks to external senders (``services.gongwen.intake_callbacks``), every few seconds.

``run_once`` is the job itself, a plain function (tests call it directly with a moved clock).
``start_scheduler`` wraps it in an APScheduler ``BackgroundScheduler`` for worker processes
(``oa scheduler``). Any number of workers may run: rows are claimed so that each timer fires and
each message is delivered exactly once. The web server (``make run``) does not start it, so
that restarting or scaling the web tier never multiplies or stops the jobs by accident.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from engine.runtime import messages, start_timers, timers
from services.config import current_settings
from services.db import db
from services.gongwen import intake_callbacks
from services.notify import outbox

JOB_ID = "engine_waits"
BATCH = 100
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunResult:
    """What one run of the job did."""

    timers_fired: int
    messages_delivered: int
    instances_started: int = 0
    notifications_sent: int = 0
    callbacks_sent: int = 0


def run_once(app: Any, *, worker_id: str | None = None, max_batches: int = 50) -> RunResult:
    """Fire due timers and deliver pending messages in an app context, batch after batch
    until a batch comes back short (or ``max_batches``); errors are logged, never raised."""
    fired = delivered = started = sent = called = 0
    with app.app_context():
        try:
            start_timers.sync_start_timers()
            started = _drain(start_timers.fire_due_start_timers, worker_id, max_batches)
            fired = _drain(timers.fire_due_timers, worker_id, max_batches)
            delivered = _drain(messages.deliver_messages, worker_id, max_batches)
            sent = _drain(outbox.dispatch_due, worker_id, max_batches)
            called = _drain(intake_callbacks.dispatch_due, worker_id, max_batches)
        except Exception:  # the scheduler thread must survive a database hiccup
            log.exception("定时器/消息任务运行出错")
            db.session.rollback()
        finally:
            db.session.remove()
    return RunResult(fired, delivered, started, sent, called)


def _drain(job: Any, worker_id: str | None, max_batches: int) -> int:
    total = 0
    for _ in range(max_batches):
        done = job(limit=BATCH, worker_id=worker_id)
        total += done
        if done < BATCH:
            break
    return total


def start_scheduler(app: Any, *, interval_seconds: int | None = None) -> BackgroundScheduler | None:
    """Start the background job (every ``scheduler_interval_seconds``); None when disabled."""
    settings = current_settings()
    if not settings.scheduler_enabled:
        return None
    seconds = interval_seconds or settings.scheduler_interval_seconds
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        run_once,
        "interval",
        seconds=seconds,
        args=[app],
        id=JOB_ID,
        max_instances=1,  # a slow run is never overlapped by the next one in this process
        coalesce=True,
    )
    scheduler.start()
    return scheduler
