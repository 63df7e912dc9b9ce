"""Outgoing mail: a message type, its templates, and interchangeable ways to send it
(an SMTP server, or a folder of .eml files when none is configured)."""
