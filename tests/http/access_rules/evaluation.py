"""Access rules of the experts' pages and the external evaluators' token link (SPEC §5.5)."""

RULES = {
    "expert.queue": ("expert", "GET", {}),
    "expert.assignment": ("expert", "GET", {"assignment_id": "0"}),
    "expert.document": ("expert", "GET", {"assignment_id": "0", "document_id": "0"}),
    "expert.accept": ("expert", "POST", {"assignment_id": "0"}),
    "expert.decline": ("expert", "POST", {"assignment_id": "0"}),
    "expert.save": ("expert", "POST", {"assignment_id": "0"}),
    "expert.submit": ("expert", "POST", {"assignment_id": "0"}),
    "evaluate.form": ("public", "GET", {"token": "not-a-token"}),
}
