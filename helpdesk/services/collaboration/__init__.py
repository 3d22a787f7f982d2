"""Working together on a ticket: @mentions, followers, transfers with a reason."""
