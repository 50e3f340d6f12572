"""Access rules for the statistics pages (program admins only)."""

RULES = {
    "stats.call_statistics": ("program_admin", "GET", {"call_id": "{call}"}),
}
