"""`POST /ussd`: Africa's Talking's USSD callback."""

from __future__ import annotations

from flask import Blueprint

blueprint = Blueprint("ussd", __name__)
