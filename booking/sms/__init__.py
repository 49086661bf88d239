"""SMS delivery and what drives the domain from it: gateways, the worker, replies, reminders.

Above the domain. What the domain writes (the outbox rows and the texts) is `booking.notify`;
the tables are in `booking.models.notify`.

- gateway.py    the Gateway interface (a Text to send: kind, language, values; SendResult;
                temporary and permanent failures)
- console.py, twilio.py, aliyun.py   the providers (real SDKs; TWILIO_API_BASE_URL and
                ALIYUN_SMS_ENDPOINT point them at local servers in tests);
                aliyun_templates.py the Chinese templates and their variables (docs/sms.md)
- routing.py    SMS_BACKEND: one backend, or a route list by longest number prefix
- compose.py    the text of an outbox row at send time: values derived from the booking
                (links with their token), sealed secrets opened, the reply instruction the
                route allows
- worker.py     `flask sms worker [--once]`: claim with a lease, send, retry with backoff.
                Delivery is at least once; the one duplicate window is described there.
- webhooks.py   Twilio: POST /sms/inbound and /sms/status, signature-checked against
                PUBLIC_BASE_URL; Alibaba Cloud: POST /sms/aliyun/<token>/up and /report
- replies.py    reply keywords, once per MessageSid or uplink; which booking a reply means;
                STOP/START/CANCEL opt-outs
- reminders.py  `flask sms reminders` (also run by the worker each minute): reminder the day
                before from SMS_REMINDER_HOUR (18); unconfirmed places of services that require
                confirmation are warned then and released at SMS_RELEASE_HOUR (21) that
                evening, never with less than two hours' notice

Settings beyond the contract: SMS_REMINDER_HOUR, SMS_RELEASE_HOUR, SMS_SEND_TIMEOUT (seconds
per provider request, 10), SMS_DEV_DELIVERY (console backend prints the texts; `make run`).
Logs name the kind of text and a masked number only, never a body, code or link.
Setting up the providers: docs/sms.md.
"""
