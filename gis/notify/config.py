"""The channels, webhook policy and retry policy that the settings describe."""

from __future__ import annotations

from gis.infra.settings import NotifySettings
from gis.notify.addresses import WebhookPolicy
from gis.notify.channels import Channel, SmtpChannel, WebhookChannel
from gis.notify.worker import RetryPolicy


def webhook_policy(settings: NotifySettings) -> WebhookPolicy:
    hosts = frozenset(
        h.strip().lower() for h in settings.webhook_allow_hosts.split(",") if h.strip()
    )
    return WebhookPolicy(allow_hosts=hosts, allow_private=settings.webhook_allow_private)


def channels(settings: NotifySettings) -> dict[str, Channel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    return {
        "email": SmtpChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.mail_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_user,
            password=password,
        ),
        "webhook": WebhookChannel(webhook_policy(settings), settings.webhook_timeout_seconds),
    }


def retry_policy(settings: NotifySettings) -> RetryPolicy:
    return RetryPolicy(settings.max_attempts, settings.backoff_seconds)
