"""SMS: keywords in (the parser), replies and receipts out (the outbox)."""
