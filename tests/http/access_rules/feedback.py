"""Access rules of the applicant's review comments and appeal, and the program office's appeal list (SPEC §6.3)."""

RULES = {
    "feedback.feedback": ("applicant", "GET", {"application_id": "0"}),
    "feedback.appeal": ("applicant", "POST", {"application_id": "0"}),
    "feedback.appeals": ("program_admin", "GET", {}),
    "feedback.decide": ("program_admin", "POST", {"appeal_id": "{appeal}"}),
}
