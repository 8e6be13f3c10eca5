from __future__ import annotations

from django.urls import path

from . import views_command

app_name = "dashboard"
urlpatterns: list = [
    path("", views_command.command, name="command"),
    path("export.<str:fmt>", views_command.command_export, name="command_export"),
    path("rebuild/", views_command.command_rebuild, name="command_rebuild"),
]
