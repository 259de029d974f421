"""The ways out, one module each, all behind the `Channel` interface of base.py (prepare → send).

web_mailbox, secure_address, rest_push, rest_pull, print_handoff, notices; `receivers.py` holds what the
authority-facing channels share. The receiver kind is dispatched once, in delivery.forward.
"""
