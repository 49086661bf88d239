"""SMS: the outbox, the texts, the gateways and the inbound keyword handling."""
