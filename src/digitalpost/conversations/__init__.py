"""Conversations between a citizen or company and an authority mailbox: the dialog thread as a product.

Inquiries written in the web mailbox, replies from every path (secure mail through the gateway, caseworkers in
the portal) filed by one `file_reply`, casework (assigning, marking handled), refused replies, thread tokens and
the reads of threads and inquiries. Not for: getting a message out (see `delivery`) or the message lifecycle
itself (see `messages`).
"""
