"""API routes (staff): see the package docstring."""
