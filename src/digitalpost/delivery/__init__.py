"""Every way a message leaves the hub, and the handlers the outbox workers run for each work kind.

`channels/` holds one module per way out: the web mailbox, an authority's secure address (S/MIME mail), REST
push and REST pull hand-over; print and notices are handed to the `printing` and `notifications` apps. Not for:
deciding *whether* a message may be sent (ingest and conversations decide that) or the message's lifecycle.
"""
