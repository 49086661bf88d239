"""`flask --app wsgi retention purge`: health data removed after its retention period."""

from flask.cli import AppGroup

retention_cli = AppGroup("retention", help="Remove personal data past its retention period.")
