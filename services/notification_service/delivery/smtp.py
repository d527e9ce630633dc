"""Email delivery over SMTP. The Message-ID is the notification's stable id, so a repeat is recognisable."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage


def send_email(
    host: str, port: int, sender: str, to: str, subject: str, text: str, notification_id: str, timeout: float
) -> None:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{notification_id}@cara.notifications>"
    message.set_content(text)
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.send_message(message)
