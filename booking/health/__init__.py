"""The health check: a visitor's declaration before the visit, judged by the service's rules.

- declarations.py  the window, declaring, each visitor's status, the staff view
- parsing.py       the contract's JSON shape (the web form is turned into it), checked field by field
- judge.py         one visitor's answers against one version of the rules: pure functions
- rules.py         rules as versioned data per service: seeded defaults, edits

The package re-exports the operations its callers use, so `from booking import health` reads as
`health.declare(...)`.
"""

from .declarations import (
    DeclarationClosed,
    DeclarationNotOpen,
    HealthDataForbidden,
    check_window,
    cleared_many,
    declaration_window,
    declarations_for_staff,
    declare,
    is_cleared,
    latest_declarations,
    visitor_statuses,
    visitor_statuses_many,
)
from .judge import reason_text
from .parsing import DeclarationInput, DeclarationInvalid, parse_declarations
from .rules import current_rules, rules_history, seed_all_default_rules, seed_default_rules, update_rules

__all__ = [
    "DeclarationClosed", "DeclarationNotOpen", "HealthDataForbidden", "check_window", "cleared_many",
    "declaration_window", "declarations_for_staff", "declare", "is_cleared", "latest_declarations",
    "visitor_statuses", "visitor_statuses_many", "reason_text", "DeclarationInput", "DeclarationInvalid",
    "parse_declarations", "current_rules", "rules_history", "seed_all_default_rules", "seed_default_rules",
    "update_rules",
]
