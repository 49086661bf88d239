"""Tables of the staff side beyond models.py."""
