"""Access rules of the program office's program pages (portal/programs/program_views.py)."""

RULES = {
    "program_office.index": ("program_admin", "GET", {}),
    "program_office.create": ("program_admin", "GET", {}),
    "program_office.program": ("program_admin", "GET", {"program_id": "{program}"}),
    "program_office.edit": ("program_admin", "GET", {"program_id": "{program}"}),
    "program_office.archive": ("program_admin", "POST", {"program_id": "{program}"}),
    "program_office.restore": ("program_admin", "POST", {"program_id": "{program}"}),
    "program_office.delete": ("program_admin", "POST", {"program_id": "{program}"}),
    "program_office.rules_version": ("program_admin", "GET", {"program_id": "{program}", "number": "1"}),
    "program_office.documents": ("program_admin", "GET", {"program_id": "{program}"}),
    "program_office.questions": ("program_admin", "GET", {"program_id": "{program}"}),
    "program_office.rules": ("program_admin", "GET", {"program_id": "{program}"}),
}
