"""Every URL the project has, requested by a user of every role from the home commune, a
neighbouring commune and an unrelated ward.

- A page without an object must not show another jurisdiction's rows (names carry a marker).
- A page about an object answers 404 to anyone whose jurisdiction does not hold that object, for
  GET and POST alike, and changes nothing; 200 or 403 to those whose jurisdiction holds it.
- A URL pattern the sweep does not know fails the test: later issues add theirs to OBJECT_URLS.

Expected visibility is written out here from the roles' definitions, not asked of the code tested.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Role

from .world import COMMUNES, PROVINCE_ROLES, K, World

pytestmark = pytest.mark.django_db

# URLs that are not about jurisdiction data, with the reason.
PUBLIC = {
    "login": "anonymous login page",
    "logout": "ends the caller's own session",
    "set_language": "sets a cookie for the caller",
}
# URLs whose arguments name a shared reference row rather than someone's data.
REFERENCE = {
    "policies:detail": {"key": "entry.quarantine"},
}


def _org_url(kind: str) -> Callable[[World, str], tuple[dict, Organization]]:
    def target(world: World, where: str):
        org = world.org(kind, where)
        return {"pk": org.pk}, org
    return target


def _account(world: World, where: str):
    account = world.user(Role.MOBILE_STATION, where)
    return {"pk": account.pk}, account.organization


def _job(world: World, where: str):
    job = world.jobs[where]
    return {"pk": job.pk}, job.organization


# url name → (object of a given commune → (kwargs, the organization it belongs to))
OBJECT_URLS: dict[str, Callable[[World, str], tuple[dict, Organization]]] = {
    "organizations:detail": _org_url(K.TREATMENT_FACILITY),
    "organizations:edit": _org_url(K.TREATMENT_FACILITY),
    "accounts:edit": _account,
    "accounts:password": _account,
    "jobs:detail": _job,
    "jobs:cancel": _job,
}


def all_url_names() -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}:{p.namespace}" if namespace and p.namespace
                     else p.namespace or namespace)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def holds(world: World, user_key: tuple[str, str], where: str, org: Organization) -> bool:
    """Whether the user's jurisdiction holds an object of commune `where` belonging to `org`."""
    home, role = user_key
    if role in PROVINCE_ROLES:
        return True
    if role in (Role.COMMUNE_STATION, Role.MOBILE_STATION):
        return home == where
    return world.users[user_key].organization_id == org.pk


def test_every_url_is_swept():
    names = {name for name, _ in all_url_names()}
    without_args = {name for name, args in all_url_names() if not args}
    unknown = names - set(PUBLIC) - set(REFERENCE) - set(OBJECT_URLS) - without_args
    assert not unknown, f"add these URLs to the sweep: {sorted(unknown)}"


def test_pages_without_an_object_never_show_another_jurisdictions_rows(client, world):
    pages = [n for n, args in all_url_names() if not args and n not in PUBLIC]
    assert "home" in pages and "organizations:list" in pages and "accounts:list" in pages
    for user_key, user in world.all_users():
        client.force_login(user)
        home = user_key[0]
        for name in pages:
            response = client.get(reverse(name))
            assert response.status_code in (200, 403, 405), (name, user_key, response.status_code)
            if response.status_code != 200 or user_key[1] in PROVINCE_ROLES:
                continue
            body = response.content.decode()
            for other in COMMUNES:
                if other != home:
                    assert f"ORG {other}-" not in body and f"USER {other}." not in body, (name, user_key, other)


def test_objects_outside_the_jurisdiction_are_404_for_get_and_post(client, world):
    for name, target in OBJECT_URLS.items():
        for where in COMMUNES:
            kwargs, org = target(world, where)
            url = reverse(name, kwargs=kwargs)
            for user_key, user in world.all_users():
                client.force_login(user)
                audit_before = AuditEvent.objects.exclude(action="denied").count()
                got = client.get(url).status_code
                posted = client.post(url, {"name": "HACKED", "full_name": "HACKED", "password1": "x"}).status_code
                if holds(world, user_key, where, org):
                    assert got in (200, 403, 405), (name, where, user_key, got)
                else:
                    # 405 is a POST-only URL refusing GET before any lookup: it reveals nothing.
                    assert got in (404, 405) and posted == 404, (name, where, user_key, got, posted)
                    assert AuditEvent.objects.exclude(action="denied").count() == audit_before
    assert not Organization.objects.filter(name="HACKED").exists()


def test_reference_urls_answer_every_signed_in_role(client, world):
    for name, kwargs in REFERENCE.items():
        for _, user in world.all_users():
            client.force_login(user)
            assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_anonymous_users_are_sent_to_login(client, world):
    for name, _args in all_url_names():
        if name in PUBLIC:
            continue
        kwargs = REFERENCE.get(name) or (OBJECT_URLS[name](world, "home")[0] if name in OBJECT_URLS else {})
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
