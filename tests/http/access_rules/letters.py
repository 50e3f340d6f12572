"""Access rules for letters: program office pages, the applicant's download, public verification."""
RULES = {
    "letters.index": ("program_admin", "GET", {}),
    "letters.edit_template": ("program_admin", "GET", {"program_id": "0", "outcome": "approved"}),
    "letters.save_template": ("program_admin", "POST", {"program_id": "0", "outcome": "approved"}),
    "letters.preview": ("program_admin", "POST", {"program_id": "0", "outcome": "approved"}),
    "letters.call_letters": ("program_admin", "GET", {"call_id": "{call}"}),
    "letters.issue": ("program_admin", "POST", {"application_id": "0"}),
    "letters.revoke": ("program_admin", "POST", {"letter_id": "0"}),
    "letters.pdf": ("program_admin", "GET", {"letter_id": "0"}),
    "letters.start_batch": ("program_admin", "POST", {"call_id": "0"}),
    "letters.job": ("program_admin", "GET", {"job_id": "0"}),
    "my_letters.download": ("applicant", "GET", {"application_id": "0"}),
    "verify.index": ("public", "GET", {}),
    "verify.show": ("public", "GET", {"code": "unknown"}),
    "verify.check": ("public", "POST", {"code": "unknown"}),
}
