"""The service layer: the only code that changes data.

Every function takes a session (inside `Desk.write`) and an `Actor`, checks
permissions and input, writes, appends `Event` rows and publishes a domain
event that subscribers handle in the same transaction."""
