"""Writes to authorities and their set-up, one module per sub-area: organisation (profile and permissions),
mailboxes (contact points), materials (and subscription groups), and the field checks they share. Import from
the sub-module.

Every change lands in the audit log with its before and after, inside the same transaction. The rules that
keep the set-up working are checked here, not in forms: a mailbox tree without cycles, exactly one standard
mailbox moved atomically, nothing deleted that is still used. Users and roles are in `accounts`.
"""
