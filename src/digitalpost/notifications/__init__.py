"""Notices outside the mailbox: e-mail "you have new Digital Post", reminders of unread legal notifications, NemSMS."""
