from __future__ import annotations

from django.shortcuts import render

from epicommand.core.jurisdiction import visible_to
from epicommand.core.models import Organization, Place
from epicommand.core.navigation import entries_for


def home(request):
    user = request.user
    area = user.jurisdiction_place
    communes = 0
    if area is not None:
        communes = Place.objects.filter(path__startswith=area.path, level=Place.Level.COMMUNE,
                                        structure=Place.Structure.CURRENT).count()
    return render(request, "dashboard/home.html", {
        "area": area,
        "communes": communes,
        "organization": user.organization,
        "organizations": visible_to(user, Organization).count(),
        "actions": entries_for(user),
    })
