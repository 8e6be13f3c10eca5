"""Signing in: Django's ModelBackend, with the signed-in account read together with its place and organization.

Every request of a signed-in user asks the jurisdiction module what the user may see, and that starts from the
account's place (and unit): reading them with the account saves a query on every page and every saved dose."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .models import User


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        user = User._default_manager.select_related("place", "organization").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
