"""Secure mail: forwarding inquiries to an authority's secure address, and filing the replies that come back.

The wire formats live in `protocols/smime`, `protocols/mail` and `protocols/threads`; this app holds the hub's
keys and the two use cases that tie them to messages, threads and sender systems.
"""
