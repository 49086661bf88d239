"""Tables of the SMS side beyond the outbox (inbound messages, opt-outs)."""
