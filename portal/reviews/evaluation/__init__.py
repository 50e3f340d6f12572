"""Evaluation (SPEC §4, §5.5): classified-evaluation schemes, the experts' and external evaluators' scoring, reminders."""
