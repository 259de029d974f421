"""Power of attorney (fuldmagt): one citizen lets another read, or read and write, their Digital Post mailbox."""
