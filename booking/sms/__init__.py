"""SMS delivery and what drives the domain from it: gateways, the worker, replies, reminders.

Above the domain. What the domain writes (the outbox rows and the texts) is `booking.notify`;
the tables are in `booking.models.notify`.

- gateway.py    the Gateway interface; ConsoleGateway; TwilioGateway (real SDK, custom HTTP
                client for TWILIO_API_BASE_URL)
- worker.py     `flask sms worker [--once]`: claim with a lease, send, retry with backoff.
                Delivery is at least once; the one duplicate window is described there.
- webhooks.py   POST /sms/inbound and /sms/status, signature-checked against PUBLIC_BASE_URL
- replies.py    reply keywords, once per MessageSid; STOP/START/CANCEL opt-outs
- reminders.py  `flask sms reminders` (also run by the worker each minute): reminder the day
                before from SMS_REMINDER_HOUR (18); unconfirmed places of services that require
                confirmation are warned then and released at SMS_RELEASE_HOUR (21) that
                evening, never with less than two hours' notice

Settings beyond the contract: SMS_REMINDER_HOUR, SMS_RELEASE_HOUR, SMS_SEND_TIMEOUT (seconds
per provider request, 10), SMS_DEV_DELIVERY (console backend prints the texts; `make run`).
Logs name the kind of text and a masked number only, never a body, code or link.
"""
