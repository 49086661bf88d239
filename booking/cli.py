"""Commands from the contract: `flask --app wsgi demo | setup import | setup export | slots generate |
staff create | staff token`.

(`db upgrade` comes from Flask-Migrate; the SMS and retention commands register themselves
next to their code.)"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import accounts, demo
from .extensions import db
from .models import StaffUser, utcnow
from .offices import setup, setup_file, slots
from .uow import unit_of_work

slots_cli = AppGroup("slots", help="Time slots of the services.")
setup_cli = AppGroup("setup", help="Offices, services, hours and holidays as a TOML file.")
staff_cli = AppGroup("staff", help="Staff accounts and their API tokens.")


@click.command("demo")
@click.option("--reset-password", is_flag=True, help="Give the demo staff account a new password.")
@with_appcontext
def demo_command(reset_password: bool):
    """Load the demo offices (booking/demo.toml, through the setup path), their slots and a
    staff account (once); then, every time, add the slots missing from each office's today on
    and print the staff login."""
    instance = current_app.instance_path
    password = demo.load_demo()
    if password is not None:
        demo.remember_login(instance, password)
        click.echo("Demo data loaded.")
    else:
        created = demo.keep_slots_ahead()
        click.echo(f"Demo data already loaded; {created} slots added to keep each booking window open.")
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
@click.option("--days", type=click.IntRange(1, 400), default=None,
              help="At least this many days from each office's today (default: each service's booking window).")
def generate_command(days):
    """Create the slots each service's booking window needs, from its office's local today.
    Safe to run again, from cron or beside the SMS worker: it only adds what is missing."""
    with unit_of_work():
        created = slots.generate_ahead(utcnow(), days or 0)
    click.echo(f"{created} slots created.")


@setup_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option("--cancel-bookings", is_flag=True,
              help="Cancel (with a text each) the bookings in hours the file takes away, as a closure does.")
def setup_import_command(path, dry_run, cancel_bookings):
    """Create or update regions, offices, services, hours, exceptions and holidays from a TOML
    setup file (docs/contract.md, "Setting up offices"), and keep the slots in step."""
    with click.open_file(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        report = setup.apply(setup_file.read(text), dry_run=dry_run, cancel_bookings=cancel_bookings)
    except setup_file.SetupError as error:
        raise click.ClickException(f"{path}: {error}; nothing was written") from None
    except setup.HoursTaken as taken:
        lines = [f"  {line}" for line in booking_lines(taken.bookings)]
        raise click.ClickException(
            f"{path}: the new hours leave {len(lines)} active bookings outside them; nothing was written:\n"
            + "\n".join(lines) + "\nRun again with --cancel-bookings to cancel them (each is texted).") from None
    click.echo(describe(report, dry_run))


def booking_lines(bookings) -> list[str]:
    return [f"{b.reference} {b.office.code}/{b.service.code} "
            f"{b.slot.starts_at.astimezone(b.office.tz):%Y-%m-%d %H:%M} ({b.party_size} people)" for b in bookings]


def describe(report: setup.Report, dry_run: bool) -> str:
    """What an import changed, a line each, then the slot and booking counts."""
    warnings = [f"Warning: {line}" for line in report.warnings]
    if not report.changed and not report.bookings_affected:
        return "\n".join([*warnings, "Nothing to change: the database already matches the file."])
    head = "Dry run, nothing written. Would change:" if dry_run else "Changed:"
    lines = [head, *(f"  {line}" for line in report.changes),
             f"  slots added: {report.slots_added}, removed: {report.slots_removed}",
             f"  bookings affected: {len(report.bookings_affected)}"
             + (f", cancelled and texted: {report.bookings_cancelled}" if report.bookings_cancelled else ""),
             *(f"    {line}" for line in booking_lines(report.bookings_affected))]
    return "\n".join([*warnings, *lines])


@setup_cli.command("export")
def setup_export_command():
    """Print the whole setup as a TOML file that `setup import` takes back unchanged."""
    click.echo(setup_file.render(setup.export()), nl=False)


@staff_cli.command("create")
@click.argument("username")
@click.option("--office", "office_code", default=None, help="Office code (clerks and supervisors).")
@click.option("--region", "region_code", default=None, help="Region code (a bureau).")
@click.option("--role", type=click.Choice(["clerk", "supervisor", "bureau", "admin"]), required=True)
@click.password_option(help="At least 10 characters; prompted when not given.")
def staff_create_command(username, office_code, region_code, role, password):
    """Create a staff account: a clerk or supervisor of an office, a bureau of a region (its
    offices and those of the regions below it), or an administrator (every office)."""
    try:
        accounts.create_staff(username, password, role, office_code, region_code=region_code)
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

    for command in (demo_command, slots_cli, setup_cli, staff_cli, sms_cli, retention_cli):
        app.cli.add_command(command)
