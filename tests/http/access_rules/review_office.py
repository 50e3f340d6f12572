"""Access rules of the unit review and program office pages."""

RULES = {
    "unit.queue": ("unit_admin", "GET", {}),
    "unit.review": ("unit_admin", "GET", {"application_id": "0"}),
    "unit.endorse": ("unit_admin", "POST", {"application_id": "0"}),
    "unit.decide": ("unit_admin", "POST", {"application_id": "0", "verb": "return"}),
    "unit.ranking": ("unit_admin", "GET", {"call_id": "{call}"}),
    "office.calls": ("program_admin", "GET", {}),
    "office.call": ("program_admin", "GET", {"call_id": "{call}"}),
    "office.export_applications": ("program_admin", "GET", {"call_id": "{call}", "fmt": "xlsx"}),
    "office.export_evaluations": ("program_admin", "GET", {"call_id": "{call}", "fmt": "csv"}),
    "office.application": ("program_admin", "GET", {"application_id": "{app}"}),
    "office.formal": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.recheck": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.assign": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.invite": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.withdraw_assignment": ("program_admin", "POST", {"assignment_id": "{assignment}"}),
    "office.clear_flag": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.complete": ("program_admin", "POST", {"application_id": "{app}"}),
    "office.experts": ("program_admin", "GET", {}),
    "applications.request_recheck": ("applicant", "POST", {"application_id": "0"}),
}
RULES.update(
    {
        "office.schemes": ("program_admin", "GET", {}),
        "office.edit_scheme": ("program_admin", "GET", {"category": "top"}),
    }
)
RULES.update(
    {
        "office.auto_assign": ("program_admin", "GET", {"call_id": "{call}"}),
        "office.replace_assignment": ("program_admin", "POST", {"assignment_id": "{assignment}"}),
    }
)
