"""The USSD menu tree as typed data."""
