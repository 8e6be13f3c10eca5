from django.urls import include, path

from epicommand.dashboard import views as dashboard
from epicommand.vaccination import views_certificates

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("", include("epicommand.core.urls")),
    path("people/", include("epicommand.people.urls")),
    path("imports/", include("epicommand.imports.urls")),
    path("notify/", include("epicommand.notify.urls")),
    path("vaccination/", include("epicommand.vaccination.urls")),
    path("testing/", include("epicommand.testing.urls")),
    path("cases/", include("epicommand.cases.urls")),
    path("command/", include("epicommand.dashboard.urls")),
    path("verify/<str:token>", views_certificates.verify, name="verify"),
]
