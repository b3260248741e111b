from django.urls import path

from hookverify.django import WebhookView

from . import views

urlpatterns = [
    path("hooks/github/<str:tenant>", views.github_hook),
    path("hooks/small", views.small_hook),
    path("hooks/async", views.async_hook),
    path("hooks/standard", WebhookView.as_view(receiver=views.receiver)),
    path("form", views.form),
]
