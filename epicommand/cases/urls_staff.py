"""Key staff screens (see urls.py); the command-centre figures live in the dashboard app."""

from __future__ import annotations

from django.urls import path

from . import views_staff as views

urlpatterns: list = [
    path("key-staff/", views.key_staff, name="key_staff"),
    path("key-staff/<int:pk>/remove/", views.key_staff_remove, name="key_staff_remove"),
]
