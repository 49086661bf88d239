"""What the domain writes for citizens to be told: the outbox and the texts.

- outbox.py  a text owed is a row, added in the same transaction as the change causing it
- texts.py   the texts we send and the answers to replies, each within two segments

Below the domain: bookings, the hall and the offices import it; it imports none of them. Sending
(gateways, the worker), replies and reminders live above the domain, in `booking.sms`.
"""
