"""Facility screens: placement and admission, referral, discharge, the referral inbox, beds."""

from __future__ import annotations

from django.urls import path

from . import views_facilities as views

urlpatterns: list = [
    path("<int:pk>/place/", views.case_place, name="place"),
    path("<int:pk>/refer/", views.case_refer, name="refer"),
    path("<int:pk>/discharge/", views.case_discharge, name="discharge"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("referrals/<int:pk>/decide/", views.referral_decide, name="referral_decide"),
    path("referrals/<int:pk>/transit/", views.referral_transit, name="referral_transit"),
    path("referrals/<int:pk>/arrive/", views.referral_arrive, name="referral_arrive"),
    path("referrals/<int:pk>/cancel/", views.referral_cancel, name="referral_cancel"),
    path("beds/", views.beds_list, name="beds"),
    path("beds/<int:pk>/", views.beds_edit, name="beds_edit"),
]
