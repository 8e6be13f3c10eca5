"""Signing in: Django's ModelBackend, with the signed-in account read together with its place and organization.

Every request of a signed-in user asks the jurisdiction module what the user may see, and that starts from the
account's place (and unit): reading them with the account, in one statement built once (core/rows.py), saves a
query and the ORM's compiling on every page and every saved dose."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .models import User
from .rows import select_one


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        try:
            user = select_one(User, int(user_id), ("place", "organization"))
        except (TypeError, ValueError):
            return None  # a session naming no account id
        return user if user is not None and self.user_can_authenticate(user) else None
