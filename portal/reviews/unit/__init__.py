"""Unit review (SPEC §5.1): the unit's queue, endorsement with its assessment, order of preference."""
