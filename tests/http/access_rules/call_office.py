"""Access rules of the program office's call pages (create, copy, edit, unit quotas, attachments, the call's life)
and of the public download of a call's guide attachments."""

RULES = {
    "call_office.new_call": ("program_admin", "GET", {"program_id": "{program}"}),
    "call_office.copy_last": ("program_admin", "POST", {"program_id": "{program}"}),
    "call_office.edit_call": ("program_admin", "GET", {"call_id": "{call}"}),
    "call_office.quotas": ("program_admin", "GET", {"call_id": "{call}"}),
    "call_office.attachments": ("program_admin", "GET", {"call_id": "{call}"}),
    "call_office.remove_attachment": ("program_admin", "POST", {"call_id": "{call}", "attachment_id": "{attachment}"}),
    "call_office.publish": ("program_admin", "POST", {"call_id": "{call}"}),
    "call_office.unpublish": ("program_admin", "POST", {"call_id": "{call}"}),
    "call_office.extend": ("program_admin", "POST", {"call_id": "{call}"}),
    "call_office.start_review": ("program_admin", "POST", {"call_id": "{call}"}),
    "call_office.decide": ("program_admin", "POST", {"call_id": "{call}"}),
    "programs.attachment": ("public", "GET", {"call_id": "{call}", "attachment_id": "{attachment}"}),
}
