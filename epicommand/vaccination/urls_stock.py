"""stock screens (see urls.py)."""

urlpatterns: list = []
