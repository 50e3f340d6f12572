"""The audit hash chain, as pure logic."""

from datetime import UTC, datetime

from portal.audit.chain import GENESIS, canonical, entry_hash, verify


def _chain(n):
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        fields = {
            "action": f"a{i}",
            "data": {"n": i, "名": "张三"},
            "created_at": datetime(2026, 1, 1, 8, i, tzinfo=UTC),
        }
        h = entry_hash(prev, fields)
        rows.append((i, prev, h, fields))
        prev = h
    return rows


def test_intact_chain_verifies():
    assert verify(_chain(5)) == (5, None)


def test_empty_chain_is_intact():
    assert verify([]) == (0, None)


def test_edited_row_is_the_first_break():
    rows = _chain(5)
    i, prev, h, fields = rows[2]
    rows[2] = (i, prev, h, {**fields, "action": "edited"})
    checked, broken = verify(rows)
    assert broken.entry_id == 3 and "edited" in broken.reason


def test_deleted_row_breaks_the_next_link():
    rows = _chain(5)
    del rows[1]
    checked, broken = verify(rows)
    assert broken.entry_id == 3 and "deleted" in broken.reason


def test_canonical_form_is_stable_across_key_order_and_timezones():
    a = {"b": 1, "a": datetime(2026, 1, 1, 16, 0, tzinfo=UTC)}
    b = {"a": datetime(2026, 1, 1, 16, 0), "b": 1}  # naive means UTC
    assert canonical(a) == canonical(b)
