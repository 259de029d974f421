"""Plumbing every app uses: the hub's keys and trust anchors, the outbound SMTP relay, group commit, the blob store.

Nothing here knows about messages, threads or organisations; it sits below every domain app. Not for: business
rules or anything that writes domain rows.
"""
