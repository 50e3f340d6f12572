"""SPEC §6 end to end from the demo data: decide, publish the notice, handle an objection, make awards final,
issue letters in batch with progress, download, read feedback and appeal, verify a genuine and a modified PDF."""

from datetime import timedelta
from io import BytesIO

from pypdf import PdfReader

from portal.accounts.services import find_user
from portal.database import commit
from portal.decisions import appeals
from portal.decisions import services as decisions
from portal.letters import services as letters
from portal.letters.models import LetterJob
from portal.storage import read_document
from tests.journeys import review_demo_calls


def test_from_decision_to_verified_letter(db):
    a, b, c, _support, _tokens = review_demo_calls(db)
    office = find_user("program@demo.talent.cn")
    call = a.call

    session = decisions.open_session(call, office, committee_size=15, quorum=10, two_thirds=True)
    decisions.record_decision(session, a, "approve", 12, 1, 1, "", office)
    decisions.record_decision(session, b, "waitlist", 8, 5, 1, "", office)
    decisions.record_decision(session, c, "reject", 2, 11, 1, "", office)
    assert (a.state, b.state, c.state) == ("reviewed",) * 3  # drafts until the session is finalised
    decisions.finalise(session, office, "第一次会议纪要：到会 14 人。")
    commit()
    assert (a.state, b.state, c.state) == ("approved", "waitlisted", "rejected")

    published = decisions.publish_notice(call, office, days=7)
    commit()
    notice = published.notice
    assert a.state == "in_notice" and [i.application_id for i in notice.items] == [a.id]
    objection = decisions.file_objection(
        notice, notice.items[0].id, "匿名群众", "13900000000", "该候选人的代表作署名存在疑问，请予核查。", "203.0.113.9"
    )
    decisions.close_due_notices(now=notice.ends_at + timedelta(seconds=1))
    assert a.state == "in_notice"  # a pending objection keeps the candidate in notice
    decisions.handle_objection(objection, False, "经核查，署名无误，异议不成立。", office)
    decisions.close_due_notices(now=notice.ends_at + timedelta(seconds=1))
    commit()
    assert a.state == "awarded"

    job = letters.start_batch(call, office)
    commit()
    letters.run_batch(job.id)
    job = db.session.get(LetterJob, job.id)
    assert job.status == "done" and job.done == job.total >= 3  # approved, waitlisted and rejected letters
    letter = letters.valid_letter(a.id)
    pdf = read_document(letter.document)
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "李娜" in text and letter.serial in text and letter.verification_code in text

    feedback = appeals.feedback_for(c, "zh_CN")
    assert [f.label for f in feedback][:2] == ["专家一", "专家二"]
    assert all("保密" not in f.comment for f in feedback)
    appeal = appeals.file_appeal(c, c.applicant, "评审过程中有专家与本人存在未申报的合作关系，请求重新评审。")
    commit()
    assert c.state == "appeal" and appeal.status == "pending"

    assert letters.verify_pdf(letter, pdf)
    tampered = bytearray(pdf)
    tampered[len(tampered) // 2] ^= 0x01
    assert not letters.verify_pdf(letter, bytes(tampered))
