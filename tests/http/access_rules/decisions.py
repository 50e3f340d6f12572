"""Access rules of the committee decision pages, the public notice (公示) and the objection form (SPEC §6.1–6.2)."""

RULES = {
    "decisions.call_session": ("program_admin", "GET", {"call_id": "{call}"}),
    "decisions.open_session": ("program_admin", "POST", {"call_id": "{call}"}),
    "decisions.record": ("program_admin", "POST", {"session_id": "{session}", "application_id": "{app}"}),
    "decisions.approve_top": ("program_admin", "POST", {"session_id": "{session}"}),
    "decisions.finalise": ("program_admin", "POST", {"session_id": "{session}"}),
    "decisions.publish": ("program_admin", "POST", {"call_id": "{call}"}),
    "decisions.notice": ("program_admin", "GET", {"notice_id": "{notice}"}),
    "decisions.handle": ("program_admin", "POST", {"objection_id": "{objection}"}),
    "decisions.close_due": ("program_admin", "POST", {}),
    "notice.index": ("public", "GET", {}),
    "notice.objection": ("public", "GET", {"notice_id": "{notice}"}),
}
