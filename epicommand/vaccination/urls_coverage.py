"""coverage screens (see urls.py)."""

from django.urls import path

from . import views_coverage as views

urlpatterns: list = [
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export.<str:fmt>", views.coverage_export, name="coverage_export"),
    path("coverage/rebuild/", views.rebuild, name="coverage_rebuild"),
    path("coverage/low/", views.low_coverage, name="low_coverage"),
    path("coverage/low/export.<str:fmt>", views.low_coverage_export, name="low_coverage_export"),
    path("coverage/<int:pk>/remind/", views.remind, name="remind"),
    path("coverage/<int:pk>/due/", views.due, name="due"),
    path("coverage/<int:pk>/due/export.<str:fmt>", views.due_export, name="due_export"),
]
