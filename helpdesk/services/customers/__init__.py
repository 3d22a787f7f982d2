"""What the customer sees: the knowledge base (and, beside it, assets, the portal, surveys)."""
