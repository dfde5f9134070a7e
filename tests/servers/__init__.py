"""Real servers for the integration tests; see README.md and tests/conftest.py."""
