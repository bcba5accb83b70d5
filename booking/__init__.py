"""The booking engine: facilities, services, sessions, numbers and their rules.

It knows nothing of HTTP, USSD, SMS, Redis or RQ. Every function takes a SQLAlchemy session
and never commits: the caller (a view, a job, a CLI command) owns the transaction.
"""
