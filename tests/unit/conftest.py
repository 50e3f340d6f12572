"""Unit tests: pure logic only, no application and no database."""
