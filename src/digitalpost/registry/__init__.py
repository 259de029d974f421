"""The contact register: citizens and companies, their registration status, postal address and mailbox."""
