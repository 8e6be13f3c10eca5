"""campaigns screens (see urls.py): campaigns, sites, sessions and invitation lists."""

from django.urls import path

from . import views_campaigns as v

urlpatterns: list = [
    path("campaigns/", v.campaign_list, name="campaigns"),
    path("campaigns/new/", v.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", v.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", v.campaign_edit, name="campaign_edit"),
    path("sites/", v.site_list, name="sites"),
    path("sites/new/", v.site_new, name="site_new"),
    path("sites/<int:pk>/", v.site_detail, name="site"),
    path("sites/<int:pk>/sessions/new/", v.session_new, name="session_new"),
    path("sessions/<int:pk>/", v.session_detail, name="session"),
    path("sessions/<int:pk>/close/", v.session_close_view, name="session_close"),
    path("sessions/<int:pk>/invitations/", v.invitation_list, name="invitations"),
    path("sessions/<int:pk>/invitations.<str:fmt>", v.invitation_export, name="invitations_export"),
]
