"""`flask --app wsgi sms worker [--once]` and `flask --app wsgi sms reminders`."""

from __future__ import annotations

import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

from . import reminders, worker
from .routing import gateway_for

sms_cli = AppGroup("sms", help="Deliver the SMS outbox and the reminders.")


@sms_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver every text due now, then exit.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between looks when idle.")
def worker_command(once: bool, poll: float):
    """Deliver the outbox (and, when running on, the reminders every minute).

    Stops cleanly on SIGTERM or Ctrl-C after the text in hand; a worker killed harder loses
    nothing (see booking/sms/worker.py for exactly what is guaranteed).
    """
    try:
        gateway_for(current_app)  # a misconfigured backend stops here, with a clear message
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None
    if once:
        click.echo(f"{worker.drain()} texts handled.")
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("SMS worker running (Ctrl-C stops it).")
    worker.run_forever(stop, poll=poll)


@sms_cli.command("reminders")
def reminders_command():
    """Send the reminders and release warnings that are due, and release unconfirmed places
    whose deadline passed. Safe to run as often as you like (e.g. from cron every few minutes)."""
    done = reminders.run_due()
    click.echo(f"{done.reminders} reminders, {done.warnings} release warnings, "
               f"{done.released} released.")
