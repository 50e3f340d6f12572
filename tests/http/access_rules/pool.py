"""Access rules of the expert pool pages (program admins only)."""

RULES = {
    "pool.import_experts": ("program_admin", "GET", {}),
    "pool.template": ("program_admin", "GET", {"kind": "csv"}),
    "pool.new_expert": ("program_admin", "GET", {}),
    "pool.edit_expert": ("program_admin", "GET", {"user_id": "0"}),
    "pool.add_conflict": ("program_admin", "POST", {"user_id": "0"}),
}
