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
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from epicommand.core.models import AuditEvent, Organization
from epicommand.core.roles import Role

from . import (
    sweep_campaigns,
    sweep_cases,
    sweep_coverage,
    sweep_doses,
    sweep_home,
    sweep_staff,
    sweep_stock,
    sweep_testing,
)
from .sweep_targets import Target
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


def _org_url(kind: str) -> Callable[[World, str], Target]:
    def target(world: World, where: str) -> Target:
        org = world.org(kind, where)
        return Target({"pk": org.pk}, org, org, {"name": "HACKED", "kind": org.kind, "tier": org.tier or "",
                                                 "place": org.place_id, "is_active": "on"})
    return target


def _account(world: World, where: str) -> Target:
    account = world.user(Role.MOBILE_STATION, where)
    return Target({"pk": account.pk}, account.organization, account, {
        "full_name": "HACKED", "role": account.role, "place": account.place_id or "",
        "organization": account.organization_id, "is_active": "on",
        "password1": "Hacked-Pass-2026!x", "password2": "Hacked-Pass-2026!x"})


def _job(world: World, where: str) -> Target:
    job = world.jobs[where]
    return Target({"pk": job.pk}, job.organization, job)


def _person(world: World, where: str) -> Target:
    person = world.people[where]
    return Target({"pk": person.pk}, None, person, {
        "full_name": "HACKED", "sex": "M", "birth_year": 1980, "commune": person.commune_id, "nationality": "VN",
        "action": "create"})


def _import(world: World, where: str) -> Target:
    run = world.imports[where]
    return Target({"pk": run.pk}, run.organization, run, {"header_row": 0, "col_0": "full_name", "import": "1"})


def _candidate(world: World, where: str) -> Target:
    candidate = world.candidates[where]
    return Target({"pk": candidate.pk}, None, candidate, {"decision": "accept"})


def _pair(world: World, where: str) -> Target:
    pair = world.pairs[where]
    return Target({"pk": pair.pk}, None, pair, {"decision": "merge", "keep": pair.first_id})


def _merge(world: World, where: str) -> Target:
    record = world.merges[where]
    return Target({"pk": record.pk}, None, record)


def _message(world: World, where: str) -> Target:
    message = world.messages[where]
    return Target({"pk": message.pk}, None, message)


def fingerprint(instance: Model) -> dict:
    return type(instance)._base_manager.filter(pk=instance.pk).values().get()


# url name → (commune key → the object of that commune the URL is about)
OBJECT_URLS: dict[str, Callable[[World, str], Target]] = {
    "organizations:detail": _org_url(K.TREATMENT_FACILITY),
    "organizations:edit": _org_url(K.TREATMENT_FACILITY),
    "accounts:edit": _account,
    "accounts:password": _account,
    "jobs:detail": _job,
    "jobs:cancel": _job,
    "people:detail": _person,
    "people:edit": _person,
    "people:household": _person,
    "imports:mapping": _import,
    "imports:detail": _import,
    "imports:confirm": _import,
    "imports:errors": _import,
    "people:decide": _candidate,
    "people:merge": _pair,
    "people:undo_merge": _merge,
    "notify:detail": _message,
    "notify:retry": _message,
}
# Each screen module lists its own URLs in tests/sweep_<area>.py.
AREAS = (sweep_doses, sweep_stock, sweep_campaigns, sweep_coverage, sweep_testing, sweep_cases, sweep_home,
         sweep_staff)
for _area in AREAS:
    OBJECT_URLS.update(_area.OBJECT_URLS)
# Lists whose URL takes arguments (formats): swept like the pages without arguments.
LIST_URLS = {
    "people:export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
    "organizations:export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
    "audit:export": [{"fmt": "csv"}, {"fmt": "xlsx"}],
}
for _area in AREAS:
    LIST_URLS.update(_area.LIST_URLS)
    PUBLIC.update(_area.PUBLIC)


def all_url_names() -> list[tuple[str, list[str]]]:
    """Every URL pattern, by name. An unnamed pattern could not be swept: it fails here."""
    found: list[tuple[str, list[str]]] = []

    def walk(patterns, namespace: str | None):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}:{p.namespace}" if namespace and p.namespace
                     else p.namespace or namespace)
            elif isinstance(p, URLPattern):
                assert p.name, f"URL pattern {p.pattern} has no name, so the sweep cannot request it"
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, list(p.pattern.converters)))

    walk(get_resolver().url_patterns, None)
    return found


def holds(world: World, user_key: tuple[str, str], where: str, org: Organization | None) -> bool:
    """Whether the user's jurisdiction holds an object of commune `where` belonging to `org`."""
    home, role = user_key
    if role in PROVINCE_ROLES:
        return True
    if role in (Role.COMMUNE_STATION, Role.MOBILE_STATION):
        return home == where
    return org is not None and world.users[user_key].organization_id == org.pk


def test_every_url_is_swept():
    names = {name for name, _ in all_url_names()}
    without_args = {name for name, args in all_url_names() if not args}
    unknown = names - set(PUBLIC) - set(REFERENCE) - set(OBJECT_URLS) - set(LIST_URLS) - without_args
    assert not unknown, f"add these URLs to the sweep: {sorted(unknown)}"


def foreign_markers(world: World, user_key: tuple[str, str]) -> list[str]:
    """Markers of rows the user must never see: other communes' for commune roles; for organization
    roles, every organization but their own (their own commune's included)."""
    home, role = user_key
    if role in PROVINCE_ROLES:
        return []
    markers = [m for other in COMMUNES if other != home
               for m in (f"ORG {other}-", f"USER {other}.", f"JOB {other}", f"PERSON {other}", f"IMPORT {other}",
                         f"OUTBOX {other}", f"SITE {other}", f"LOT {other}", f"TEST {other}",
                         f"POOL {other}", f"CASE {other}", f"REFERRAL {other}")]
    if role not in (Role.COMMUNE_STATION, Role.MOBILE_STATION):
        own = world.users[user_key].organization.name
        markers += [o.name for o in world.orgs.values() if o.name != own]
        markers += [f"JOB {home}", f"IMPORT {home}", f"OUTBOX {home}", f"SITE {home}", f"LOT {home}",
                    f"POOL {home}"]
        # Facility staff see the patients they treat, with the test that confirmed them, and the referrals
        # addressed to them (the home commune's case is admitted to its facility, its home patient referred
        # there); every other unit sees no one.
        if role != Role.FACILITY:
            markers += [f"PERSON {home}", f"CASE {home}", f"REFERRAL {home}", f"TEST {home}"]
    return markers


def test_pages_without_an_object_never_show_another_jurisdictions_rows(client, world):
    pages = [reverse(n) for n, args in all_url_names() if not args and n not in PUBLIC]
    pages += [reverse(n, kwargs=kwargs) for n, variants in LIST_URLS.items() for kwargs in variants]
    assert "/" in pages and "/organizations/" in pages and "/people/export.csv" in pages
    for user_key, user in world.all_users():
        client.force_login(user)
        markers = foreign_markers(world, user_key)
        for name in pages:
            response = client.get(name)
            assert response.status_code in (200, 403, 405), (name, user_key, response.status_code)
            if response.status_code == 200:
                body = response.content.decode(errors="replace")  # xlsx is zipped: its csv twin is read
                assert not [m for m in markers if m in body], (name, user_key)


def test_objects_outside_the_jurisdiction_are_404_for_get_and_post(client, world):
    for name, make_target in OBJECT_URLS.items():
        for where in COMMUNES:
            target = make_target(world, where)
            url = reverse(name, kwargs=target.kwargs)
            for user_key, user in world.all_users():
                if holds(world, user_key, where, target.org):
                    client.force_login(user)
                    got = client.get(url).status_code
                    assert got in (200, 302, 403, 405), (name, where, user_key, got)
                    continue
                client.force_login(user)
                before, audit_before = fingerprint(target.instance), AuditEvent.objects.exclude(action="denied").count()
                got = client.get(url).status_code
                posted = client.post(url, target.payload).status_code
                # 405 is a POST-only URL refusing GET before any lookup: it reveals nothing.
                assert got in (404, 405) and posted == 404, (name, where, user_key, got, posted)
                assert fingerprint(target.instance) == before, (name, where, user_key)
                assert AuditEvent.objects.exclude(action="denied").count() == audit_before


def test_reference_urls_answer_every_signed_in_role(client, world):
    for name, kwargs in REFERENCE.items():
        for _, user in world.all_users():
            client.force_login(user)
            assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_anonymous_users_are_sent_to_login(client, world):
    for name, _args in all_url_names():
        if name in PUBLIC:
            continue
        kwargs = REFERENCE.get(name) or (OBJECT_URLS[name](world, "home").kwargs if name in OBJECT_URLS else {})
        kwargs = kwargs or (LIST_URLS[name][0] if name in LIST_URLS else {})
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
