"""Access rules of the committee decision pages, the public notice (公示) and the objection form (SPEC §6.1–6.2)."""

RULES = {
    "decisions.call_session": ("program_admin", "GET", {"call_id": "{call}"}),
    "decisions.open_session": ("program_admin", "POST", {"call_id": "0"}),
    "decisions.record": ("program_admin", "POST", {"session_id": "0", "application_id": "0"}),
    "decisions.approve_top": ("program_admin", "POST", {"session_id": "0"}),
    "decisions.finalise": ("program_admin", "POST", {"session_id": "0"}),
    "decisions.publish": ("program_admin", "POST", {"call_id": "0"}),
    "decisions.notice": ("program_admin", "GET", {"notice_id": "0"}),
    "decisions.handle": ("program_admin", "POST", {"objection_id": "0"}),
    "decisions.close_due": ("program_admin", "POST", {}),
    "notice.index": ("public", "GET", {}),
    "notice.objection": ("public", "GET", {"notice_id": "0"}),
}
