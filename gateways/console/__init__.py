"""The embedded default's gateway: it only records. The outbox row is the SMS."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from gateways.contract import Outcome, Registration, SendResult, mask_phone

log = logging.getLogger(__name__)


class ConsoleGateway:
    name = "console"
    timeout = 0.0
    refuses_copies = False

    def send(
        self, phone: str, body: str, *, message_id: str | None = None, sender: str | None = None
    ) -> SendResult:
        gateway_id = f"console-{uuid.uuid4().hex[:16]}"
        log.info(
            "console gateway: SMS %s to %s recorded (%d chars)",
            gateway_id,
            mask_phone(phone),
            len(body),
        )
        log.debug("console gateway: %s: %s", gateway_id, body)
        return SendResult(Outcome.SENT, "recorded", gateway_id=gateway_id)


def build(_settings: Mapping[str, Any]) -> ConsoleGateway:
    return ConsoleGateway()


REGISTRATION = Registration(
    name=ConsoleGateway.name, settings={}, configured=lambda _settings: True, build=build
)
