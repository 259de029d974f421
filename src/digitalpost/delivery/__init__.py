"""Delivery channels behind one interface: a handler per work kind, given to the outbox worker.

Today there is one channel, the web mailbox; secure mail, REST push and print join here as handlers.
"""
