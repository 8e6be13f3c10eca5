from django.urls import path

from . import reconcile_views, views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("export.<str:fmt>", views.person_export, name="export"),
    path("<int:pk>/", views.person_detail, name="detail"),
    path("<int:pk>/edit/", views.person_edit, name="edit"),
    path("<int:pk>/household/", views.person_household, name="household"),
    path("quality/", reconcile_views.quality, name="quality"),
    path("quality/run/", reconcile_views.run_reconciliation, name="reconcile"),
    path("review/", reconcile_views.review, name="review"),
    path("review/<int:pk>/", reconcile_views.decide, name="decide"),
    path("duplicates/", reconcile_views.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/", reconcile_views.merge, name="merge"),
    path("merges/<int:pk>/undo/", reconcile_views.undo_merge, name="undo_merge"),
]
