"""campaigns screens (see urls.py)."""

urlpatterns: list = []
