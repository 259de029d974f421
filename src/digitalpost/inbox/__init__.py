"""The citizen and company web mailbox: sign-in, inbox list, message pages. An entry point: views stay thin."""
