"""The sender API: sender systems submit MeMos and mass sends, pull receipts, follow timelines and look up
registration status. One router module per resource; authenticated by `auth.SenderSystemAuth`."""
