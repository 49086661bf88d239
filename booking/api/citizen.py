"""API routes (citizen): see the package docstring."""
