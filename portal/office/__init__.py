"""The program office runs its programs and calls (SPEC §2, §3): create and edit programs and their rules, open,
extend, close and archive calls, and move them through their life. It sits above every feature because running
a call touches them all (closing a call fixes its review scheme, deleting a program checks for applications and
letters), while the features below only read programs and calls."""
