"""Who may see and change what: the one module that decides it.

Every protected model registers how its rows are placed (a lookup to the current commune or
province they belong to, and where it applies the organization). Views, API, exports, imports and
search call `visible_to()` for lists and `get_for_user()` (or a named wrapper) for single objects,
which answers 404 alike for "missing" and "not yours" and audits the attempt on another's row.
Other modules never filter by jurisdiction themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import AuditEvent, Job, Organization, Place, User
from .roles import ORGANIZATION_ROLES, PLACE_LEVEL, Cap, capabilities


@dataclass(frozen=True)
class Scope:
    # Lookups from the model to a current Place (any of them placing the row inside is enough).
    place: tuple[str, ...] = ()
    # Lookups to a place path string, for rows that keep the path itself (audit events).
    path: tuple[str, ...] = ()
    # Lookups to an Organization, for organization-bound roles (facility, site, checkpoint…).
    organization: tuple[str, ...] = ()
    # Capability needed to change rows of this model.
    manage: str | None = None
    # Lookups to a current Place for rows an organization serves where it stands: a role holding
    # `served_cap` (a vaccination site) may find the people living in its organization's commune to serve
    # them, through `served_to()` only; `visible_to()` (the register, the health book) is unchanged.
    served: tuple[str, ...] = ()
    served_cap: str | None = None
    # Lookups to a current Place for plans that concern an area rather than hold anyone's data (a campaign):
    # seen by everyone answering for that area, for a place inside it, or for an area containing it.
    areas: tuple[str, ...] = ()


_SCOPES: dict[type[models.Model], Scope] = {}


def register(model: type[models.Model], scope: Scope) -> None:
    """Domain apps call this from their AppConfig.ready() for each model that holds protected rows."""
    _SCOPES[model] = scope


register(Organization, Scope(place=("place",), organization=("id",), manage=Cap.ORGS_MANAGE))
register(User, Scope(place=("place", "organization__place"), organization=("organization",),
                     manage=Cap.ACCOUNTS_MANAGE))
register(Job, Scope(place=("place",), organization=("organization",)))
register(AuditEvent, Scope(path=("place_path",)))


def scope_of(model: type[models.Model]) -> Scope:
    try:
        return _SCOPES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no jurisdiction scope registered") from None


# ---- the user's own jurisdiction -------------------------------------------------------------

def is_place_scoped(user: User) -> bool:
    return user.role in PLACE_LEVEL and user.place_id is not None


def holds_province(user: User) -> bool:
    """Whether the user answers for a whole province (its totals, its rebuilds), not a commune or a unit."""
    return is_place_scoped(user) and user.place.level == Place.Level.PROVINCE and user.place.is_current


def places_within(place: Place) -> QuerySet[Place]:
    """Current places inside `place` (itself included): an indexed prefix match on the path."""
    return Place.objects.filter(path__startswith=place.path, structure=Place.Structure.CURRENT)


def organizations_within(organization: Organization) -> set[int]:
    """The organization and everything below it (parents form a shallow tree)."""
    found, frontier = {organization.pk}, [organization.pk]
    while frontier:
        frontier = list(
            Organization.objects.filter(parent_id__in=frontier).exclude(pk__in=found).values_list("pk", flat=True)
        )
        found.update(frontier)
    return found


def _place_ids(user: User) -> list[int]:
    """The current places inside the user's area, read once per request (the user object lives as long)."""
    cached = getattr(user, "_jurisdiction_place_ids", None)
    if cached is not None and cached[0] == user.place_id:
        return cached[1]
    place = user.place
    if place.level == Place.Level.COMMUNE:
        # A commune holds no places: its area is itself (when current), with no query on every request.
        ids = [place.pk] if place.structure == Place.Structure.CURRENT else []
    else:
        ids = list(places_within(place).values_list("id", flat=True))
    user._jurisdiction_place_ids = (user.place_id, ids)
    return ids


# A rule: (lookup from the row, "in" or "startswith", value). A row is the user's when any one rule holds. The
# rules are worked out once (`_rules`, `_served_rules`) and then either become the SQL filter (`_condition`) or are
# checked on a row already read (`_holds`, for the busiest single-row reads), so both always agree.
Rule = tuple[str, str, object]


def _rules(user: User, scope: Scope) -> list[Rule] | None:
    """What a row must meet to be the user's; None when nothing can be."""
    if not (user.is_authenticated and user.is_active and user.role):
        return None
    if is_place_scoped(user):
        if not (scope.place or scope.path or scope.areas):
            return None
        # A literal list, not a subquery: a province has a few dozen communes (the country about 3,300),
        # and PostgreSQL estimates "commune_id IN (list)" exactly, where a subquery on the path made it
        # guess ten communes and walk people commune by commune.
        ids = _place_ids(user)
        rules = [(lookup, "in", ids) for lookup in scope.place]
        rules += [(lookup, "startswith", user.place.path) for lookup in scope.path]
        return rules + _areas_concerning(scope, user.place) if scope.areas else rules
    if user.role in ORGANIZATION_ROLES and user.organization_id:
        if not (scope.organization or scope.areas) or not user.organization.is_active:
            return None
        ids = organizations_within(user.organization)
        rules = [(lookup, "in", ids) for lookup in scope.organization]
        if scope.areas and user.organization.place_id is not None:
            rules += _areas_concerning(scope, user.organization.place)
        return rules
    return None


def _areas_concerning(scope: Scope, place: Place) -> list[Rule]:
    """Rows whose area is `place`, inside it, or above it (the prefixes of its path)."""
    parts = place.path.strip("/").split("/")
    above = ["/".join(parts[:end]) + "/" for end in range(1, len(parts) + 1)]
    rules: list[Rule] = []
    for lookup in scope.areas:
        rules += [(f"{lookup}__path", "startswith", place.path), (f"{lookup}__path", "in", above)]
    return rules


def _condition(rules: list[Rule] | None) -> Q | None:
    if rules is None:
        return None
    condition = Q(pk__in=[])
    for lookup, operator, value in rules:
        condition |= Q(**{f"{lookup}__{operator}": value})
    return condition


def _filter(user: User, scope: Scope) -> Q | None:
    """The condition a row must meet to be the user's; None when nothing can be."""
    return _condition(_rules(user, scope))


class _Undecided(Exception):
    """A rule reaches the row through something other than a chain of foreign keys: ask the database."""


def _value_at(obj: models.Model, lookup: str):
    """What `lookup` names on a row already read: the foreign keys are followed (read if not attached)."""
    *path, last = lookup.split("__")
    current = obj
    for name in path:
        field = type(current)._meta.get_field(name)
        if not (field.many_to_one or field.one_to_one) or not field.concrete:
            raise _Undecided
        current = getattr(current, field.name)
        if current is None:
            return None
    field = type(current)._meta.get_field(last)
    if not field.concrete or field.many_to_many:
        raise _Undecided
    return getattr(current, field.attname)


def _holds(obj: models.Model, rules: list[Rule] | None) -> bool:
    """Whether a row meets any of the rules, as the database would judge `_condition(rules)`."""
    for lookup, operator, value in rules or ():
        found = _value_at(obj, lookup)
        if found is None:
            continue  # NULL meets no condition
        if operator == "in" and found in value or operator == "startswith" and str(found).startswith(value):
            return True
    return False


def visible_to(user: User, queryset: QuerySet | type[models.Model]) -> QuerySet:
    """The rows of `queryset` that `user` may see."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    condition = _filter(user, scope_of(qs.model))
    return qs.none() if condition is None else qs.filter(condition)


def served_to(user: User, queryset: QuerySet | type[models.Model]) -> QuerySet:
    """The rows a user may act on to serve people (record a dose): what they see, and for an organization
    role holding the model's `served_cap`, the rows placed in the commune where its organization stands."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    condition = _condition(_served_rules(user, scope_of(qs.model)))
    return qs.none() if condition is None else qs.filter(condition)


def _served_rules(user: User, scope: Scope) -> list[Rule] | None:
    if scope.served_cap is None or not can(user, scope.served_cap):
        return None
    if is_place_scoped(user):
        return _rules(user, scope)
    organization = user.organization if user.role in ORGANIZATION_ROLES and user.organization_id else None
    if organization is None or not organization.is_active or organization.place_id is None or not scope.served:
        return None
    # Only a unit standing in a commune serves it; one placed at the province serves nobody's register.
    if organization.place.level != Place.Level.COMMUNE:
        return None
    return [(lookup, "in", [organization.place_id]) for lookup in scope.served]


def get_served_for_user(user: User, queryset: QuerySet | type[models.Model], pk: object):
    """One row from `served_to()`; 404 (and a "denied" audit event for an existing row) otherwise."""
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        pk = qs.model._meta.pk.to_python(pk)
    except (ValidationError, TypeError, ValueError):
        raise Http404 from None
    obj = served_to(user, qs).filter(pk=pk).first()
    if obj is None:
        _deny(user, qs.model, pk)
        raise Http404
    return obj


def findable_for_unit(user: User, organization: Organization, queryset: QuerySet, *, place: str) -> QuerySet:
    """Rows a user may look up by an exact number on behalf of a unit (an agency naming its key staff): an area
    officer, in what they see; a unit's own account, which sees no register, among the rows placed (`place`, a
    lookup to a current Place) in the area where the unit stands. The caller shows such a row only masked."""
    if is_place_scoped(user):
        return visible_to(user, queryset)
    if organization.place_id is None:
        return queryset.none()
    return queryset.filter(**{f"{place}__in": places_within(organization.place).values("id")})


def _speaks_for(user: User) -> Q | None:
    """The units a user speaks for itself (confirms what they received, counts their fridge): their own
    staff, or the area officers standing where they stand (a commune's station, the province's CDC).
    Seeing a unit is not speaking for it: the province sees every commune's station. None: no unit."""
    if not (user.is_authenticated and user.is_active and user.role):
        return None
    if is_place_scoped(user):
        return Q(place_id=user.place_id)
    if user.role in ORGANIZATION_ROLES and user.organization_id and user.organization.is_active:
        return Q(pk__in=organizations_within(user.organization))
    return None


def answered_by(user: User, organizations: QuerySet[Organization]) -> QuerySet[Organization]:
    """The organizations of the queryset the user speaks for (see _speaks_for)."""
    condition = _speaks_for(user)
    return organizations.none() if condition is None else organizations.filter(condition)


def answers_for(user: User, organization: Organization) -> bool:
    return answered_by(user, Organization.objects.filter(pk=organization.pk)).exists()


def get_place_for_user(user: User, pk: object, *, level: str | None = None) -> Place:
    """A current place inside the user's area (of `level` when given), for URLs about an area (a commune's
    coverage, its due list); 404 otherwise, with a "denied" audit event for a real place."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    places = Place.objects.filter(pk=pk, structure=Place.Structure.CURRENT)
    if level:
        places = places.filter(level=level)
    place = places.first()
    if place is None or not place_is_within(user, place):
        if place is not None:
            _deny(user, Place, pk)
        raise Http404
    return place


def _deny(user: User, model: type[models.Model], pk: object) -> None:
    """Audit a request for an existing row outside the user's reach (a missing row leaves nothing)."""
    if model._base_manager.filter(pk=pk).exists():
        from . import audit

        audit.record(
            actor=user, action=AuditEvent.Action.DENIED, object_type=model._meta.label,
            object_id=str(pk), place=user.jurisdiction_place,
        )


def can(user: User, capability: str) -> bool:
    return bool(user.is_authenticated and user.is_active and capability in capabilities(user.role))


def require(user: User, capability: str) -> None:
    """403 when the user's role lacks a capability (a screen they may not use at all)."""
    if not can(user, capability):
        raise PermissionDenied


def get_for_user(user: User, queryset: QuerySet | type[models.Model], pk: object, *, write: bool = False):
    """One row the user may see (and, with write=True, change); 404 for missing and not-yours alike.

    A request for a row that exists but lies outside the user's jurisdiction leaves an audit event.
    """
    qs = queryset._default_manager.all() if isinstance(queryset, type) else queryset
    try:
        pk = qs.model._meta.pk.to_python(pk)
    except (ValidationError, TypeError, ValueError):
        raise Http404 from None  # a tampered id ("abc") is as missing as any other
    obj = visible_to(user, qs).filter(pk=pk).first()
    if obj is None:
        _deny(user, qs.model, pk)
        raise Http404
    if write:
        manage = scope_of(qs.model).manage
        if manage is None or not can(user, manage):
            raise PermissionDenied
    return obj


def get_one_for_user(user: User, model: type[models.Model], pk: object, *, related: tuple[str, ...] = (),
                     served: bool = False, where=None):
    """`get_for_user()` (or, with served=True, `get_served_for_user()`) for the busiest single-row reads (the
    saved dose): the row is read by one statement built once, with `related` attached (core.rows.select_one),
    and the user's rules are checked on it instead of compiling them into a query on every request. `where`
    is a further condition on the row (not merged, say), answered as a missing row. The same 404 and "denied"
    event; tests/test_jurisdiction_rows.py holds both ways to the same answer for every registered scope."""
    from .rows import select_one

    if _manager_hides_rows(model):
        # The row is read from the table itself: a model whose manager hides rows (undone doses) must not be.
        raise ValueError(f"{model.__name__}: get_one_for_user reads models whose manager shows every row")
    try:
        pk = model._meta.pk.to_python(pk)
    except (ValidationError, TypeError, ValueError):
        raise Http404 from None
    obj = select_one(model, pk, related)
    if obj is None or not (where is None or where(obj)) or not reaches(user, obj, served=served):
        _deny(user, model, pk)
        raise Http404
    return obj


@cache
def _manager_hides_rows(model: type[models.Model]) -> bool:
    return bool(model._default_manager.all().query.where)


def reaches(user: User, obj: models.Model, *, served: bool = False) -> bool:
    """Whether `user` sees (served=True: may serve) a row already read: the rules of visible_to()/served_to()
    checked on the row, or the database asked when a rule goes through more than foreign keys."""
    scope = scope_of(type(obj))
    rules = _served_rules(user, scope) if served else _rules(user, scope)
    try:
        return _holds(obj, rules)
    except _Undecided:
        chosen = served_to if served else visible_to
        return chosen(user, type(obj)).filter(pk=obj.pk).exists()


def get_organization_for_user(user: User, pk: int, *, write: bool = False) -> Organization:
    return get_for_user(user, Organization.objects.select_related("place", "parent"), pk, write=write)


def get_account_for_user(user: User, pk: int, *, write: bool = False) -> User:
    account = get_for_user(user, User.objects.select_related("place", "organization"), pk, write=write)
    # Managing an account means being able to grant all it holds (its role, area and organization
    # with everything under it), and holding strictly more: peers cannot reset or disable each other,
    # and nobody edits their own account through these screens.
    if write and (
        account.pk == user.pk
        or not capabilities(account.role) < capabilities(user.role)
        or grant_problems(user, role=account.role, place=account.place, organization=account.organization)
    ):
        raise PermissionDenied
    return account


def get_job_for_user(user: User, pk: int) -> Job:
    return get_for_user(user, Job, pk)


def place_of(obj: models.Model) -> Place | None:
    """The place a protected row belongs to, following its model's first registered lookup."""
    scope = _SCOPES.get(type(obj))
    if isinstance(obj, User):
        return obj.jurisdiction_place
    if scope and scope.place:
        value = obj
        for part in scope.place[0].split("__"):
            value = getattr(value, part, None)
        return value if isinstance(value, Place) else None
    return None


# ---- what a user may hand out ----------------------------------------------------------------

def assignable_places(user: User) -> QuerySet[Place]:
    """Current places a user may give to a new row or account: inside their own area."""
    if not is_place_scoped(user):
        return Place.objects.none()
    return places_within(user.place)


def place_is_within(user: User, place: Place | None) -> bool:
    return place is not None and is_place_scoped(user) and user.place.contains(place) and place.is_current


def grant_problems(user: User, *, role: str, place: Place | None, organization: Organization | None) -> list[str]:
    """Why `user` may not give an account this role and jurisdiction (empty when they may).

    Nobody grants more than they hold: the role's capabilities must be among the granter's, and
    the area or organization must lie inside the granter's jurisdiction.
    """
    from django.utils.translation import gettext as _

    problems: list[str] = []
    if not can(user, Cap.ACCOUNTS_MANAGE):
        return [_("You may not manage accounts.")]
    if not capabilities(role) <= capabilities(user.role):
        problems.append(_("You cannot grant a role with more rights than your own."))
    level = PLACE_LEVEL.get(role)
    if level:
        if place is None:
            problems.append(_("This role needs an area."))
        elif place.level != level:
            problems.append(_("This role needs an area at the level: %(level)s.") % {"level": Place.Level(level).label})
        elif not place_is_within(user, place):
            problems.append(_("The area is outside your jurisdiction."))
    if role in ORGANIZATION_ROLES:
        if organization is None:
            problems.append(_("This role needs an organization."))
        if place is not None:
            problems.append(_("This role answers for its organization, not for an area: leave the area empty."))
    if organization is not None:
        # An organization role sees the organization and every unit under it: all of them must be
        # the granter's own.
        handed_out = organizations_within(organization)
        mine = set(visible_to(user, Organization).filter(pk__in=handed_out).values_list("pk", flat=True))
        if mine != handed_out:
            problems.append(_("The organization is outside your jurisdiction."))
    return problems
