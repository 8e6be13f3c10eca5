"""doses screens (see urls.py)."""

urlpatterns: list = []
