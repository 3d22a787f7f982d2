"""The desk itself: first set-up (`helpdesk init`) and the demo desk."""
