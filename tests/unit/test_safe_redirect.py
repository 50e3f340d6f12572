"""`next=` may only lead to a local path."""

import pytest

from portal.auth import is_safe_next


@pytest.mark.parametrize(
    "target,safe",
    [
        ("/applications/3", True),
        ("/admin/users?q=a", True),
        ("/", True),
        ("", False),
        (None, False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("http://evil.example/", False),
        ("https:/evil.example", False),
        ("javascript:alert(1)", False),
        ("/\x00x", False),
        ("relative/path", False),
    ],
)
def test_is_safe_next(target, safe):
    assert is_safe_next(target) is safe
