"""The staff console: server-rendered pages for the people who run the queue."""
