"""The second factor: TOTP (RFC 6238) with single-use recovery codes (totp.py), the lock
after wrong codes (failure_lock.py), and the service that turns it on, off and checks it
at login (service.py).

Turning it on is two steps: a new secret is stored (the factor stays off), then a current
code confirms it and ten recovery codes are shown once (stored as SHA-256 digests only).
A TOTP code is accepted once: its time step must be later than the last one accepted,
which is kept on the user row and moved under a row lock in the transaction that accepts
it. Wrong codes (at login, confirmation, turning off or new recovery codes, on the page or
the API) are the user's `user.mfa_failed` events: past MFA_FAILURE_LIMIT within its window
every try is refused with a 429, a right code too, until the window lets one through again.
They are counted and recorded in the transaction that evaluates the code, under that
user's row lock, so tries at once, on one worker or many, are evaluated one after another
and never more than the limit. No code or secret ever goes into an event, a log line or
an error.
"""
