"""Stock screens (see urls.py): balances, ledger, receipts, wastage, dispatches, allocation, shortage."""

from django.urls import path

from . import views_stock as views

urlpatterns: list = [
    path("stock/", views.stock_overview, name="stock"),
    path("stock/export.<str:fmt>", views.stock_export, name="stock_export"),
    path("stock/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("stock/<int:pk>/ledger.<str:fmt>", views.ledger_export, name="ledger_export"),
    path("stock/receive/", views.receive, name="receive"),
    path("stock/waste/", views.waste, name="waste"),
    path("stock/shortage/", views.shortage, name="shortage"),
    path("stock/shortage.<str:fmt>", views.shortage_export, name="shortage_export"),
    path("dispatches/", views.dispatches, name="dispatches"),
    path("dispatches/<int:pk>/receive/", views.dispatch_receive, name="dispatch_receive"),
    path("allocations/", views.allocations, name="allocations"),
    path("allocations/new/", views.allocation_new, name="allocation_new"),
    path("allocations/<int:pk>/", views.plan_detail, name="allocation"),
]
