from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import accounts, audit, auth, jobs, organizations, places, policies

places_urls = ([
    path("", places.place_list, name="list"),
    path("reload/", places.place_reload, name="reload"),
], "places")

organizations_urls = ([
    path("", organizations.organization_list, name="list"),
    path("export.<str:fmt>", organizations.organization_export, name="export"),
    path("new/", organizations.organization_create, name="create"),
    path("<int:pk>/", organizations.organization_detail, name="detail"),
    path("<int:pk>/edit/", organizations.organization_edit, name="edit"),
], "organizations")

accounts_urls = ([
    path("", accounts.account_list, name="list"),
    path("new/", accounts.account_create, name="create"),
    path("<int:pk>/", accounts.account_edit, name="edit"),
    path("<int:pk>/password/", accounts.account_password, name="password"),
], "accounts")

policies_urls = ([
    path("", policies.policy_list, name="list"),
    path("<str:key>/", policies.policy_detail, name="detail"),
], "policies")

audit_urls = ([
    path("", audit.audit_list, name="list"),
    path("export.<str:fmt>", audit.audit_export, name="export"),
], "audit")

jobs_urls = ([
    path("", jobs.job_list, name="list"),
    path("<int:pk>/", jobs.job_detail, name="detail"),
    path("<int:pk>/cancel/", jobs.job_cancel, name="cancel"),
], "jobs")

urlpatterns = [
    path("login/", auth.EpiLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth.password_change, name="password_change"),
    path("language/", auth.switch_language, name="set_language"),
    path("places/", include(places_urls)),
    path("organizations/", include(organizations_urls)),
    path("accounts/", include(accounts_urls)),
    path("policies/", include(policies_urls)),
    path("audit/", include(audit_urls)),
    path("jobs/", include(jobs_urls)),
]
