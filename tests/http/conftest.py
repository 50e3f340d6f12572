"""Fixtures shared by the program office's HTTP tests."""

import pytest


@pytest.fixture()
def hand_case(db):
    """The demo data and the three hand-computed applications of tests/services/test_ranking.py."""
    from portal.seed import load_demo
    from tests.factories import build_hand_case

    load_demo()
    return build_hand_case(db)


@pytest.fixture()
def admin(login_as):
    """A program admin, logged in."""
    return login_as("program_admin", name="陈静")
