"""What the suites share: clients and envelopes, page and mail readers, the one gunicorn
launcher (also bench/'s and the fuzzer's), test data builders and the hypothesis profile.

Imported as `tests.support.<module>` (the repository root is on sys.path under pytest, and
bench/ and tests/fuzz/ put it there)."""
