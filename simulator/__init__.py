"""The phone simulator: a basic phone in the browser that dials the real `/ussd` and texts
the real `/sms/incoming`, and shows the SMS the phone received (from the outbox).

It is how people try Antre and how volunteers are trained: on in the embedded default, off in
production unless `ANTRE_SIMULATOR=1`.
"""
