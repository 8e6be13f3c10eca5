"""The testing screens, mounted at /testing/."""

from __future__ import annotations

from django.urls import path

from . import views, views_pools, views_positivity

app_name = "testing"
urlpatterns: list = [
    path("", views.test_list, name="list"),
    path("new/", views.test_new, name="new"),
    path("<int:pk>/", views.test_detail, name="detail"),
    path("<int:pk>/result/", views.test_result, name="result"),
    path("pools/", views_pools.pool_list, name="pools"),
    path("pools/new/", views_pools.pool_new, name="pool_new"),
    path("pools/<int:pk>/", views_pools.pool_detail, name="pool"),
    path("pools/<int:pk>/result/", views_pools.pool_result, name="pool_result"),
    path("positivity/", views_positivity.positivity, name="positivity"),
    path("positivity/export.<str:fmt>", views_positivity.positivity_export, name="positivity_export"),
]
