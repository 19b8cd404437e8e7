"""Telling people what happened to the incidents they care about.

- :mod:`~gis.notify.outbox` — the messages, written in the transaction of the change;
- :mod:`~gis.notify.subscriptions` — who asked to be told of a grid's or community's incidents;
- :mod:`~gis.notify.addresses` — which webhook URLs and email addresses are accepted;
- :mod:`~gis.notify.channels` — email over SMTP and webhooks (JSON over HTTP POST);
- :mod:`~gis.notify.worker` — the delivery loop: claim, send, mark, retry with backoff.
"""
