"""Home treatment: starting it, vital signs, the escalation queue and day lists, alerts, release, zones,
patients' entry links, and the two public pages patients use without an account."""

from __future__ import annotations

from django.urls import path

from . import views_home, views_patient

urlpatterns: list = [
    path("<int:pk>/home/start/", views_home.home_start, name="home_start"),
    path("<int:pk>/observe/", views_home.observe, name="observe"),
    path("<int:pk>/home/release/", views_home.home_release, name="home_release"),
    path("<int:pk>/home/assign/", views_home.home_assign, name="home_assign"),
    path("<int:pk>/home/link/", views_home.entry_link, name="entry_link"),
    path("home/day/", views_home.day_list, name="day_list"),
    path("home/escalation/", views_home.escalation, name="escalation"),
    path("home/alerts/<int:pk>/", views_home.alert_handle, name="alert_handle"),
    path("home/zones/", views_home.zones_list, name="zones"),
    path("home/zones/<int:pk>/", views_home.zone_edit, name="zone_edit"),
    path("entry/code/", views_patient.patient_code, name="patient_code"),
    path("entry/<str:token>/", views_patient.patient_entry, name="patient_entry"),
]
