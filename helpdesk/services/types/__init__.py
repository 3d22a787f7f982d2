"""Request types: typed fields, stages with teams and approvals (`helpdesk type ...`, `ticket stage`, `ticket approve`)."""
