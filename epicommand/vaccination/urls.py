"""Vaccination's screens, one URL module per concept; names live in the one "vaccination" namespace."""

from . import urls_campaigns, urls_coverage, urls_doses, urls_stock

app_name = "vaccination"
urlpatterns: list = [
    *urls_doses.urlpatterns,
    *urls_stock.urlpatterns,
    *urls_campaigns.urlpatterns,
    *urls_coverage.urlpatterns,
]
