"""Writes to sender systems, receiver systems, secure addresses and their certificates, one module per
sub-area: senders, receivers (with secure addresses), certificates, tokens. Import from the sub-module.

Every change lands in the audit log (before and after) in the same transaction. Tokens are shown once and
stored hashed; certificates are checked at once (parse, key usage, chain, expiry, e-mail) before anything is
written, and logged by subject, serial, expiry and fingerprint, never as PEM. Not for: reads (selectors.py) or
delivering anything (delivery).
"""
