"""Commands from the contract: `flask --app wsgi demo | slots generate | staff create | staff token`.

(`db upgrade` comes from Flask-Migrate; the SMS and retention commands register themselves
next to their code.)"""

from __future__ import annotations

import datetime as dt

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import accounts, demo, scheduling
from .extensions import db
from .models import Service, StaffUser, utcnow

slots_cli = AppGroup("slots", help="Time slots of the services.")
staff_cli = AppGroup("staff", help="Staff accounts and their API tokens.")


@click.command("demo")
@click.option("--reset-password", is_flag=True, help="Give the demo staff account a new password.")
@with_appcontext
def demo_command(reset_password: bool):
    """Load demo offices, services, two weeks of slots and a staff account (once); then, every
    time, add the slots missing from each office's today on and print the staff login."""
    instance = current_app.instance_path
    password = demo.load_demo()
    if password is not None:
        demo.remember_login(instance, password)
        click.echo("Demo data loaded.")
    else:
        created = demo.keep_slots_ahead(demo.DEMO_DAYS)
        click.echo(f"Demo data already loaded; {created} slots added to keep {demo.DEMO_DAYS} days open.")
    if reset_password:
        password = demo.reset_password(instance)
    else:
        password = password or demo.remembered_login(instance)
    click.echo(login_line(password))


def login_line(password: str | None) -> str:
    """How to log in to the staff pages, or how to get a password when it is not known."""
    if password:
        return f"Staff login: {demo.DEMO_USER} / {password}   (the page /staff/login)"
    return (f"Staff login: {demo.DEMO_USER}; its password changed or is not known here: "
            "`flask --app wsgi demo --reset-password` (or `make run RESET_PASSWORD=1`) sets a new one.")


@slots_cli.command("generate")
@click.option("--days", default=14, show_default=True, help="How many days ahead, from today.")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First local date (YYYY-MM-DD); default each office's local today.")
@click.option("--office", "office_code", default=None, help="Only this office's services.")
def generate_command(days, first, office_code):
    """Create missing slots from the opening hours. Safe to run again: it never duplicates."""
    query = select(Service).order_by(Service.id)
    services = [s for s in db.session.scalars(query)
                if office_code is None or s.office.code == office_code]
    created, starts = 0, set()
    for service in services:
        start = first.date() if first else scheduling.local_day(service.office, utcnow())
        starts.add(start)
        created += scheduling.generate_slots(service, start, start + dt.timedelta(days=days - 1))
    db.session.commit()
    span = ", ".join(str(day) for day in sorted(starts)) or "-"
    click.echo(f"{created} slots created for {len(services)} services, {days} days from {span}.")


@staff_cli.command("create")
@click.argument("username")
@click.option("--office", "office_code", default=None, help="Office code (not for admins).")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "admin"]), required=True)
@click.password_option(help="At least 10 characters; prompted when not given.")
def staff_create_command(username, office_code, role, password):
    """Create a staff account."""
    try:
        accounts.create_staff(username, password, role, office_code)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {role} {username}.")


def _active_staff(username: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or not user.active:
        raise click.ClickException(f"no active staff account {username!r}")
    return user


@staff_cli.command("token")
@click.argument("username")
@click.option("--feed", is_flag=True,
              help="A token for the read-only calendar feed only (it cannot call the API).")
def staff_token_command(username, feed):
    """Print a new API bearer token (or calendar feed token) for a staff account."""
    click.echo(accounts.issue_token(_active_staff(username), "feed" if feed else "api"))


@staff_cli.command("revoke-feed")
@click.argument("username")
def staff_revoke_feed_command(username):
    """Revoke the account's calendar feed tokens; its API tokens keep working."""
    accounts.revoke_tokens(_active_staff(username), scopes=("feed",))
    click.echo(f"Calendar feed tokens of {username} revoked.")


@staff_cli.command("password")
@click.argument("username")
@click.password_option(help="At least 10 characters; prompted when not given.")
def staff_password_command(username, password):
    """Set a new password; every session of the account ends at once."""
    try:
        accounts.set_password(_active_staff(username), password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Password of {username} changed; its sessions have ended.")


def register(app: Flask) -> None:
    from .retention import retention_cli
    from .sms.commands import sms_cli

    for command in (demo_command, slots_cli, staff_cli, sms_cli, retention_cli):
        app.cli.add_command(command)
