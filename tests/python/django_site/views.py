"""Webhook views as a user writes them: a function view with ``@webhook`` and a ``WebhookView``."""

import typing as t

from django.http import HttpRequest, HttpResponse

from hookverify import Event, Receiver
from hookverify.django import webhook

GITHUB_SECRET = "It's a Secret to Everybody"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SEEN: t.List[t.Any] = []


@webhook(scheme="github", secret=GITHUB_SECRET, mode="sync")
def github_hook(event: Event, **kwargs: t.Any) -> None:
    SEEN.append(("github", event.type, kwargs))


@webhook(scheme="github", secret=GITHUB_SECRET, mode="sync", max_body_bytes=64)
def small_hook(event: Event) -> None:
    SEEN.append(("small", event.type))


@webhook(scheme="github", secret=GITHUB_SECRET)  # async: 202, then the pool
def async_hook(event: Event) -> None:
    SEEN.append(("async", event.type))


receiver = Receiver(scheme="standard", secret=STANDARD_SECRET, mode="sync")


@receiver.on("user.*")
def on_user(event: Event) -> None:
    SEEN.append(("view", event.id, event.type))


def form(request: HttpRequest) -> HttpResponse:
    """An ordinary view: CSRF-protected, so a tokenless POST is 403."""
    return HttpResponse("ok")
