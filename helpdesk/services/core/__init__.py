"""Shared plumbing of every service: who acts (actors), the audit trail, the domain-event
bus, desk settings, notifications, what changed since a stamp, and bulk SQL statements."""
