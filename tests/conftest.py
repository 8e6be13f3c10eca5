from __future__ import annotations

import pytest

from epicommand.core.models import PolicyVersion
from epicommand.core.places import load_province
from epicommand.core.policy_defaults import seed as seed_policies

from .world import build_world


def ensure_reference_data() -> None:
    """Places of Lai Châu and the default policies (idempotent; transactional tests flush them)."""
    load_province("12")
    seed_policies(PolicyVersion)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        ensure_reference_data()


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def reference_data(transactional_db):
    ensure_reference_data()
