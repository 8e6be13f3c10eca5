"""Severity suggested from the latest vital signs (Quyết định 4689/QĐ-BYT, then 250/QĐ-BYT), by the thresholds
in force on the day the signs were taken, with the reasons a clinician reads before confirming it.

Vital signs alone cannot tell asymptomatic from mild (that needs the symptoms): signs within the mild band
suggest "mild". Without a respiratory rate or an SpO2 nothing is suggested (empty value)."""

from __future__ import annotations

from datetime import date

from django.utils.translation import gettext as _

from epicommand.core.policies import policies_in_force

from .models import Severity


class Rules:
    """The severity thresholds in force on one day, read once (imports judge thousands of entries)."""

    def __init__(self, on: date):
        found = policies_in_force("cases.severity.", on)
        bands = found["cases.severity.thresholds"]
        critical = found["cases.severity.critical_rr"]
        self.on = on
        self.critical_above = critical.get("above")
        self.critical_below = critical.get("below")
        self.severe_rr_above = bands["severe"]["rr_above"]
        self.severe_spo2_below = bands["severe"]["spo2_below"]
        self.moderate_rr = tuple(bands["moderate"]["rr"])
        self.moderate_spo2 = tuple(bands["moderate"]["spo2"])
        self.mild_rr_below = bands["mild"]["rr_below"]
        self.mild_spo2_above = bands["mild"]["spo2_above"]

    def suggest(self, respiratory_rate: int | None, spo2: int | None) -> tuple[str, list[str]]:
        rr = respiratory_rate
        if rr is None and spo2 is None:
            return "", [_("No respiratory rate or SpO2 measured: nothing to suggest.")]
        levels: dict[str, list[str]] = {}

        def add(level: str, reason: str) -> None:
            levels.setdefault(level, []).append(reason)

        above, below = _("respiratory rate %(rr)s/min above %(n)s"), _("respiratory rate %(rr)s/min below %(n)s")
        if rr is not None:
            if self.critical_above is not None and rr > self.critical_above:
                add(Severity.CRITICAL, above % {"rr": rr, "n": self.critical_above})
            elif self.critical_below is not None and rr < self.critical_below:
                add(Severity.CRITICAL, below % {"rr": rr, "n": self.critical_below})
            elif rr > self.severe_rr_above:
                add(Severity.SEVERE, above % {"rr": rr, "n": self.severe_rr_above})
            elif self.moderate_rr[0] <= rr <= self.moderate_rr[1]:
                add(Severity.MODERATE, _("respiratory rate %(rr)s/min between %(low)s and %(high)s") % {
                    "rr": rr, "low": self.moderate_rr[0], "high": self.moderate_rr[1]})
            elif rr < self.mild_rr_below:
                add(Severity.MILD, below % {"rr": rr, "n": self.mild_rr_below})
        if spo2 is not None:
            if spo2 < self.severe_spo2_below:
                add(Severity.SEVERE, _("SpO2 %(spo2)s%% below %(n)s%%") % {"spo2": spo2, "n": self.severe_spo2_below})
            elif self.moderate_spo2[0] <= spo2 <= self.moderate_spo2[1]:
                add(Severity.MODERATE, _("SpO2 %(spo2)s%% between %(low)s%% and %(high)s%%") % {
                    "spo2": spo2, "low": self.moderate_spo2[0], "high": self.moderate_spo2[1]})
            elif spo2 > self.mild_spo2_above:
                add(Severity.MILD, _("SpO2 %(spo2)s%% above %(n)s%%") % {"spo2": spo2, "n": self.mild_spo2_above})
        # The worst sign decides; its reasons are the ones shown (the others would only confuse the reader).
        for level in (Severity.CRITICAL, Severity.SEVERE, Severity.MODERATE, Severity.MILD):
            if level in levels:
                return str(level), levels[level]
        return "", [_("Vital signs outside every band of the policy: nothing to suggest.")]


def suggest(*, respiratory_rate: int | None, spo2: int | None, on: date) -> tuple[str, list[str]]:
    """The severity the vital signs point to under the thresholds in force on `on`, and why."""
    return Rules(on).suggest(respiratory_rate, spo2)
