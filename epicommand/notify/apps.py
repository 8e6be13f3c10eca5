from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    name = "epicommand.notify"
    label = "notify"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.core import checks

        from epicommand.core import navigation
        from epicommand.core.jurisdiction import Scope, register

        from . import tasks  # noqa: F401  (the delivery task)
        from .checks import check_channels
        from .models import Attempt, Message
        from .services import NOTIFY_MANAGE, VIEW_CAPABILITY

        # A message belongs to the area it concerns; place-bound users also see what someone of their
        # area sent. Organization-bound users see messages to, for or from their organization.
        organizations = ("organization", "recipient__organization", "sender__organization")
        register(Message, Scope(place=("place", "sender__place"), organization=organizations, manage=NOTIFY_MANAGE))
        register(Attempt, Scope(place=("message__place", "message__sender__place"),
                                organization=tuple(f"message__{lookup}" for lookup in organizations),
                                manage=NOTIFY_MANAGE))
        checks.register(check_channels, "notify")
        navigation.add(navigation.Entry("notify:list", _("Outbox"), "send", VIEW_CAPABILITY,
                                        _("Messages sent by e-mail, SMS, Zalo and webhook, and whether they "
                                          "arrived.")))
