"""`flask --app wsgi sms ...`"""

from flask.cli import AppGroup

sms_cli = AppGroup("sms", help="Deliver the SMS outbox.")
