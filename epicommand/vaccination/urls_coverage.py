"""coverage screens (see urls.py)."""

urlpatterns: list = []
