"""A phone that dials the menu: the handset of `antre phone +6281234567890` and of the tests.

The handset speaks exactly as Africa's Talking does: one POST per key press, `text` holding
every input so far joined by `*`, digits dialled with the short code pre-filled.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

Send = Callable[[dict[str, str]], tuple[int, str]]


def short_code_inputs(dialled: str) -> tuple[str, list[str]]:
    """`*123*1001#` → (`*123#`, [`1001`]): the service code and what was dialled with it."""
    parts = [part for part in dialled.strip().strip("#").split("*") if part]
    if not parts:
        return "*123#", []
    return f"*{parts[0]}#", parts[1:]


@dataclass
class Handset:
    send: Send
    phone: str
    network: str = "51010"
    session_id: str = field(default_factory=lambda: f"ATUid_{uuid.uuid4().hex}")
    inputs: list[str] = field(default_factory=list)
    service_code: str = "*123#"
    screen: str = ""
    status: int = 0

    @property
    def finished(self) -> bool:
        return self.screen.startswith("END ")

    @property
    def text(self) -> str:
        return "*".join(self.inputs)

    def dial(self, dialled: str = "*123#") -> str:
        """Start a new session (a new sessionId), as when the user dials the code."""
        self.session_id = f"ATUid_{uuid.uuid4().hex}"
        self.service_code, self.inputs = short_code_inputs(dialled)
        return self._post()

    def press(self, typed: str) -> str:
        """Send one more input, as typed into the reply box."""
        self.inputs.append(typed)
        return self._post()

    def again(self) -> str:
        """The gateway delivering the same request twice."""
        return self._post()

    def _post(self) -> str:
        self.status, self.screen = self.send(
            {
                "sessionId": self.session_id,
                "serviceCode": self.service_code,
                "phoneNumber": self.phone,
                "text": self.text,
                "networkCode": self.network,
            }
        )
        return self.screen


def through_app(app: Flask, path: str = "/ussd") -> Send:
    client = app.test_client()

    def send(form: dict[str, str]) -> tuple[int, str]:
        response = client.post(path, data=form)
        return response.status_code, response.get_data(as_text=True)

    return send


def through_http(url: str, timeout: float = 15.0) -> Send:
    import requests

    def send(form: dict[str, str]) -> tuple[int, str]:
        response = requests.post(url, data=form, timeout=timeout)
        return response.status_code, response.text

    return send
