from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from epicommand.core import audit
from epicommand.core.jurisdiction import get_for_user, require, visible_to
from epicommand.core.models import AuditEvent
from epicommand.core.views.common import paginate

from . import services
from .forms import OutboxFilterForm
from .models import Message

RELATED = ("place", "sender", "recipient", "organization")


def outbox(request):
    require(request.user, services.VIEW_CAPABILITY)
    form = OutboxFilterForm(request.GET or None)
    qs = form.apply(visible_to(request.user, Message.objects.select_related(*RELATED)))
    return render(request, "notify/list.html", {"form": form, "page": paginate(request, qs)})


def message_detail(request, pk: int):
    require(request.user, services.VIEW_CAPABILITY)
    message = get_for_user(request.user, Message.objects.select_related(*RELATED), pk)
    context = {"message": message, "may_retry": message.can_be_retried and services.may_retry(request.user, message)}
    if request.headers.get("HX-Request"):
        # The delivery state refreshing itself: no body, so not a view of the message's content.
        return render(request, "notify/_status.html", context)
    # The body may hold health data: opening it is audited like opening a health book.
    audit.record(actor=request.user, action=AuditEvent.Action.VIEW, obj=message)
    context["attempts"] = message.attempt_log.all()
    return render(request, "notify/detail.html", context)


@require_POST
def message_retry(request, pk: int):
    require(request.user, services.VIEW_CAPABILITY)
    message = get_for_user(request.user, Message, pk)
    if services.retry_now(actor=request.user, message=message):
        messages.success(request, _("The message is queued and will be sent again now."))
    else:
        messages.info(request, _("This message is not waiting for a retry."))
    return redirect("notify:detail", pk=message.pk)
