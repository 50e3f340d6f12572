"""Access rules for the ranking pages (program admins only)."""

RULES = {
    "ranking.call_ranking": ("program_admin", "GET", {"call_id": "{call}"}),
    "ranking.save_options": ("program_admin", "POST", {"call_id": "{call}"}),
    "ranking.export_csv": ("program_admin", "GET", {"call_id": "{call}"}),
    "ranking.export_xlsx": ("program_admin", "GET", {"call_id": "{call}"}),
}
