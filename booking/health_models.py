"""Tables of the health-check declarations and the door (rules, declarations, refusals)."""
