"""Access rules for letters: program office pages, the applicant's download, public verification."""

RULES = {
    "letters.index": ("program_admin", "GET", {}),
    "letters.edit_template": ("program_admin", "GET", {"program_id": "{program}", "outcome": "approved"}),
    "letters.save_template": ("program_admin", "POST", {"program_id": "{program}", "outcome": "approved"}),
    "letters.preview": ("program_admin", "POST", {"program_id": "{program}", "outcome": "approved"}),
    "letters.call_letters": ("program_admin", "GET", {"call_id": "{call}"}),
    "letters.issue": ("program_admin", "POST", {"application_id": "{app}"}),
    "letters.revoke": ("program_admin", "POST", {"letter_id": "{letter}"}),
    "letters.pdf": ("program_admin", "GET", {"letter_id": "{letter}"}),
    "letters.start_batch": ("program_admin", "POST", {"call_id": "{call}"}),
    "letters.job": ("program_admin", "GET", {"job_id": "{job}"}),
    "my_letters.download": ("applicant", "GET", {"application_id": "0"}),
    "verify.index": ("public", "GET", {}),
    "verify.show": ("public", "GET", {"code": "unknown"}),
    "verify.check": ("public", "POST", {"code": "unknown"}),
}
