"""The plumbing every part of Antre stands on: settings, the database, Redis, background jobs.

Nothing here imports a channel (ussd, sms, console, api, figures, simulator) or the factory:
they import it. A part that reacts to what a transaction committed registers its own listener
(`Database.sessions`), a part with background work registers it with the jobs.
"""
