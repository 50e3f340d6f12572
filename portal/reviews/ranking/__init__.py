"""Ranking (SPEC §4.1, §6.1): aggregation and normalisation (pure scoring), a call's ranking with its cache, the ranking pages."""
