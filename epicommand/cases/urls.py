"""The cases screens, by area: cases and their timeline, facilities (beds, admissions, referrals), home
treatment, key staff."""

from __future__ import annotations

from . import urls_cases, urls_facilities, urls_home, urls_staff

app_name = "cases"
urlpatterns: list = [
    *urls_cases.urlpatterns,
    *urls_facilities.urlpatterns,
    *urls_home.urlpatterns,
    *urls_staff.urlpatterns,
]
