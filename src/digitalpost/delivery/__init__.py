"""Every way a message leaves the hub, behind one Channel interface, and the handlers the outbox workers run.

`channels/` holds one module per way out: the web mailbox, an authority's secure address (S/MIME mail), REST
push and REST pull hand-over, the print hand-off and the notices (e-mail, NemSMS); `forward.py` picks the channel
of an authority's receiver system; `handlers.py` maps work kinds to channels. The doctor's probe sends through
the same channels. Not for: deciding *whether* a message may be sent (ingest and conversations decide that) or
the message's lifecycle (messages.services.lifecycle records every state change).
"""
