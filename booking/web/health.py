"""Health-declaration pages for citizens (from the SMS link)."""
