"""One transaction per use case: inner operations flush, the outermost call commits once.

A use case is a function decorated with `@use_case` (or a block in `unit_of_work()`). Calls
nest: an operation called from another operation joins its transaction, and only the outermost
one commits, after everything it did, including the outbox texts and audit events, is in the
session. On an error the outermost one rolls back, so nothing of the attempt survives.

Two cases need a write that outlives the failure it reports. A wrong SMS code spends a try: the
check is the use case's first write, and its error is marked `keeping_writes(error)`, so the
outermost unit commits what was written (that try alone) before the error goes on. A walk-in
refused at the door leaves its refusal on record: `after_rollback(error, fn)` registers `fn`,
which the outermost unit runs in a fresh transaction of its own after the rollback, and commits.
Nothing else may commit: `session.commit()` inside a unit raises NestedCommit (the model is
indico's request handler and pretix's durable atomic block). Views, the CLI and the worker call
use cases and never commit themselves.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from .extensions import db

_DEPTH = "uow_depth"
_COMMITTING = "uow_committing"


class NestedCommit(RuntimeError):
    """session.commit() was called inside a unit of work: only the outermost unit commits."""


@event.listens_for(Session, "before_commit")
def _refuse_nested_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a SAVEPOINT released: part of the unit, not a commit
        return
    if session.info.get(_DEPTH, 0) and not session.info.get(_COMMITTING):
        raise NestedCommit("commit() inside a use case: only the outermost unit of work commits")


def after_rollback(error: BaseException, action: Callable[[], None]) -> BaseException:
    """Attach to `error` a write that must survive the rollback it causes; returns `error`.

    The outermost unit runs `action()` in its own transaction after rolling back, then commits.
    """
    actions = getattr(error, "_after_rollback", [])
    error._after_rollback = [*actions, action]
    return error


def keeping_writes(error: BaseException) -> BaseException:
    """Mark `error` as one whose use case commits what it wrote before it (only ever the one
    write that the error reports, made first); returns `error`."""
    error._keeping_writes = True
    return error


def in_unit_of_work() -> bool:
    return bool(db.session.info.get(_DEPTH, 0))


@contextlib.contextmanager
def unit_of_work(*, keep_loaded: bool = False):
    """The block is one use case: commits once when the outermost block ends, rolls back on any
    error. `keep_loaded` commits without expiring what the session holds (the answer is built
    from what was just written, with no reload)."""
    session = db.session()
    depth = session.info.get(_DEPTH, 0)
    session.info[_DEPTH] = depth + 1
    try:
        yield session
        if depth == 0:
            _commit(session, keep_loaded)
    except BaseException as error:
        if depth == 0 and getattr(error, "_keeping_writes", False):
            session.info[_DEPTH] = 0
            _commit(session, keep_loaded=False)
        elif depth == 0:
            session.rollback()
            session.info[_DEPTH] = 0
            _run_after_rollback(session, error)
        raise
    finally:
        session.info[_DEPTH] = depth


def _commit(session: Session, keep_loaded: bool) -> None:
    session.info[_COMMITTING] = True
    expire = session.expire_on_commit
    session.expire_on_commit = not keep_loaded and expire
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
        session.info[_COMMITTING] = False


def _run_after_rollback(session: Session, error: BaseException) -> None:
    actions = getattr(error, "_after_rollback", ())
    if not actions:
        return
    try:
        for action in actions:
            action()
        _commit(session, keep_loaded=False)
    except Exception:
        session.rollback()
        raise


def use_case(fn=None, *, keep_loaded: bool = False):
    """Decorate a domain operation as a use case: see the module's docstring."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with unit_of_work(keep_loaded=keep_loaded):
                return fn(*args, **kwargs)
        return wrapper
    return decorate(fn) if fn is not None else decorate
