"""API routes (health): see the package docstring."""
