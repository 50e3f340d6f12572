"""Assigning experts (SPEC §5.4): the assignment's lifecycle, the solver (min-cost flow), the call's problem from the database, automatic assignment."""
