"""People: agents and teams, contacts and organizations, and a contact's history."""
