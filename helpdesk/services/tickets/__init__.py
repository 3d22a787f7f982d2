"""Tickets: their lifecycle (create, update, close, reopen, merge), the conversation,
lists and queues, bulk changes, JSON Lines creation, saved views, the search index, export."""
