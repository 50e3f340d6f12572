"""The expert pool and conflicts of interest (SPEC §5.3): import, edit, declared conflicts, bulk conflict checks."""
