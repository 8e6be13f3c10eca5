"""Case screens: list, clinical opening, the case page, severity confirmation, closing."""

from __future__ import annotations

from django.urls import path

from . import views_cases as views

urlpatterns: list = [
    path("", views.case_list, name="list"),
    path("export.<str:fmt>", views.case_export, name="export"),
    path("new/", views.case_open, name="open"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/severity/", views.case_severity, name="severity"),
    path("<int:pk>/close/", views.case_close, name="close"),
]
