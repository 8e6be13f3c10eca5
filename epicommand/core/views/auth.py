from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.views import LoginView
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..forms import StyledForm
from ..services.accounts import change_own_password, set_language


class StyledPasswordChangeForm(StyledForm, PasswordChangeForm):
    def save(self, commit: bool = True):
        change_own_password(user=self.user, old_password=self.cleaned_data["old_password"],
                            new_password=self.cleaned_data["new_password1"])
        return self.user


class StyledAuthenticationForm(StyledForm, AuthenticationForm):
    pass


class EpiLoginView(LoginView):
    form_class = StyledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # The interface speaks the language the user chose last time, on any device.
        language = form.get_user().language
        if language and check_for_language(language):
            _set_language_cookie(response, language)
        return response


def _set_language_cookie(response, language: str) -> None:
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
                        samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)


def password_change(request):
    form = StyledPasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password was changed."))
        return redirect("home")
    return render(request, "registration/password_change_form.html", {"form": form})


@login_not_required
@require_POST
def switch_language(request):
    """Sets the interface language in a long-lived cookie and, when signed in, on the account."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = "/"
    response = HttpResponseRedirect(target)
    if language and check_for_language(language):
        _set_language_cookie(response, language)
        if request.user.is_authenticated:
            set_language(user=request.user, language=language)
    return response
