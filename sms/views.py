"""`POST /sms/incoming` and `POST /sms/delivery`: Africa's Talking's SMS callbacks."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("sms", __name__)
