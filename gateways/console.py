"""The embedded default's gateway: it only records. The outbox row is the SMS."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from gateways.contract import Outcome, SendResult, mask_phone

log = logging.getLogger(__name__)


class ConsoleGateway:
    name = "console"

    def send(self, phone: str, body: str) -> SendResult:
        gateway_id = f"console-{uuid.uuid4().hex[:16]}"
        log.info(
            "console gateway: SMS %s to %s recorded (%d chars)",
            gateway_id,
            mask_phone(phone),
            len(body),
        )
        log.debug("console gateway: %s: %s", gateway_id, body)
        return SendResult(Outcome.SENT, "recorded", gateway_id=gateway_id)


def from_settings(_settings: Mapping[str, Any]) -> ConsoleGateway:
    return ConsoleGateway()
