"""Default rule values, from DOMAIN.md §3–7 with their sources. Seeded as the first versions of each
policy; the province edits them as data afterwards. `unverified` marks values not confirmed against
the full legal text: the policy screen shows the mark."""

from __future__ import annotations

from datetime import date
from typing import Any

D = date

# (key, effective_from, value, source, unverified, description)
DEFAULTS: list[tuple[str, date, Any, str, bool, str]] = [
    # §3 People: who is vulnerable (nhóm nguy cơ) and protected first.
    ("people.vulnerability.min_age", D(2021, 1, 1), 65,
     "DOMAIN.md §3; Nghị quyết 21/NQ-CP (nhóm 5)", False, "Age from which a person counts as vulnerable"),
    ("people.vulnerability.chronic_conditions", D(2021, 1, 1),
     ["diabetes", "hypertension", "heart", "lung", "kidney", "liver", "cancer", "immunosuppression", "obesity"],
     "DOMAIN.md §3", False, "Chronic conditions that make a person vulnerable"),
    ("people.vulnerability.pregnancy", D(2021, 1, 1), True, "DOMAIN.md §3", False,
     "Pregnancy makes a person vulnerable"),
    ("people.vulnerability.unvaccinated_adult_min_age", D(2021, 1, 1), 18, "DOMAIN.md §3", True,
     "Adults from this age without any dose count as vulnerable"),
    # §4 Vaccination: schedules (doses; interval in days between primary doses).
    ("vaccination.schedule.astrazeneca", D(2021, 3, 8), {"doses": 2, "min_interval": 56, "max_interval": 84},
     "Bộ Y tế, hướng dẫn tiêm AstraZeneca", False, "AstraZeneca primary series"),
    ("vaccination.schedule.astrazeneca.shortened_min_interval", D(2021, 8, 1), 28,
     "DOMAIN.md §4 (provinces could shorten to ≥ 28 days)", False, "AstraZeneca shortest interval a province may use"),
    ("vaccination.schedule.pfizer", D(2021, 7, 1), {"doses": 2, "min_interval": 21, "max_interval": None},
     "Bộ Y tế, hướng dẫn tiêm Pfizer", False, "Pfizer primary series"),
    ("vaccination.schedule.moderna", D(2021, 7, 1), {"doses": 2, "min_interval": 28, "max_interval": None},
     "Bộ Y tế, hướng dẫn tiêm Moderna", False, "Moderna primary series"),
    ("vaccination.schedule.sputnik_v", D(2021, 7, 1), {"doses": 2, "min_interval": 21, "max_interval": None},
     "Bộ Y tế, hướng dẫn tiêm Sputnik V", False, "Sputnik V primary series"),
    ("vaccination.schedule.vero_cell", D(2021, 7, 1), {"doses": 2, "min_interval": 21, "max_interval": 28},
     "Bộ Y tế, hướng dẫn tiêm Vero Cell", False, "Vero Cell (Sinopharm) primary series"),
    ("vaccination.schedule.hayat_vax", D(2021, 9, 1), {"doses": 2, "min_interval": 21, "max_interval": 28},
     "Bộ Y tế, hướng dẫn tiêm Hayat-Vax", True, "Hayat-Vax primary series"),
    ("vaccination.schedule.janssen", D(2021, 9, 1), {"doses": 1, "min_interval": None, "max_interval": None},
     "DOMAIN.md §4", True, "Janssen primary series"),
    ("vaccination.schedule.abdala", D(2021, 9, 1), {"doses": 3, "min_interval": 14, "max_interval": None},
     "DOMAIN.md §4", True, "Abdala primary series"),
    ("vaccination.mixing", D(2021, 7, 1),
     {"astrazeneca": ["pfizer", "moderna"], "pfizer": ["moderna"], "moderna": ["pfizer"], "vero_cell": []},
     "DOMAIN.md §4", False, "Which vaccine may follow which in the primary series"),
    ("vaccination.booster.dose3_min_days", D(2022, 7, 1), 90, "DOMAIN.md §4 (mid-2022)", False,
     "Days from the end of the primary series to dose 3"),
    ("vaccination.booster.dose4_min_days", D(2022, 7, 1), 120, "DOMAIN.md §4 (mid-2022)", False,
     "Days from dose 3 to dose 4"),
    ("vaccination.booster.age_12_17_dose3_min_days", D(2022, 7, 1), 150, "DOMAIN.md §4 (mid-2022)", False,
     "Days to dose 3 for ages 12–17"),
    ("vaccination.booster.products", D(2022, 7, 1), ["pfizer", "moderna", "astrazeneca"],
     "DOMAIN.md §4 (mRNA vaccines and AstraZeneca were used as boosters in Vietnam)", True,
     "Vaccines that may be given as boosters"),
    ("vaccination.deferral_after_infection_days", D(2022, 7, 1), 90, "DOMAIN.md §4 (mid-2022)", False,
     "Days to defer a dose after an infection"),
    ("vaccination.age_groups", D(2021, 3, 8), {"adult": [18, None], "teen": [12, 17], "child": [5, 11]},
     "DOMAIN.md §4", False, "Age groups vaccinated"),
    ("vaccination.child_products", D(2022, 4, 1), ["pfizer", "moderna"], "DOMAIN.md §4; seed 004 §5", False,
     "Vaccines for ages 5–11 (same vaccine for both doses)"),
    ("vaccination.priority_groups.nq21", D(2021, 2, 26),
     ["frontline", "diplomatic_customs_immigration", "essential_services", "teachers_public_facing",
      "chronic_or_over_65", "outbreak_area_residents", "poor_social_policy", "sent_abroad_by_state",
      "other_moh_decided"],
     "Nghị quyết 21/NQ-CP ngày 26/02/2021", False, "The 9 priority groups, in order"),
    ("vaccination.priority_groups.moh_plan_2021", D(2021, 3, 5),
     ["health_workers", "response_forces", "army", "police", "diplomatic_customs_immigration",
      "essential_services", "teachers_education", "chronic_conditions", "over_65", "outbreak_area_residents",
      "abroad_work_study"],
     "Kế hoạch tiêm vắc xin phòng COVID-19 năm 2021 của Bộ Y tế (DOMAIN.md §4: 11 nhóm)", True,
     "The 11 priority groups of the Ministry's earlier plan, in order"),
    # Operating choices of the province (not legal rules): changed as data like every policy.
    ("vaccination.dose_undo_minutes", D(2021, 1, 1), 10, "EpiCommand: province's operating choice", False,
     "Minutes during which a vaccinator may undo a dose they recorded"),
    ("vaccination.certificate_valid_days", D(2021, 1, 1), 365, "EpiCommand: province's operating choice", True,
     "Days a vaccination certificate stays valid after issue"),
    ("vaccination.stock.expiry_warning_days", D(2021, 1, 1), 30, "EpiCommand: province's operating choice",
     False, "Warn about lots in stock that expire within this many days"),
    ("vaccination.stock.use_window_days", D(2021, 1, 1), 14, "EpiCommand: province's operating choice", False,
     "Days of recent use that give the rate for 'days of stock left'"),
    ("vaccination.stock.cover_days", D(2021, 1, 1), 30, "EpiCommand: province's operating choice", False,
     "Days of use the province keeps in stock; below it the shortage report asks the Ministry for more"),
    ("vaccination.coverage.low_threshold", D(2021, 1, 1), 0.70, "Nghị quyết 128/NQ-CP (70% of adults, 1 dose)",
     True, "Share of the target population with at least one dose below which a commune is low coverage"),
    # §5 Entry, declarations, quarantine, contacts.
    ("entry.quarantine", D(2020, 3, 1), {"centre_days": 14, "home_days": 0, "test_days": []},
     "DOMAIN.md §5 (2020)", False, "Entry quarantine"),
    ("entry.quarantine", D(2021, 5, 5), {"centre_days": 21, "home_days": 7, "test_days": [1, 14, 20]},
     "DOMAIN.md §5 (from 5/5/2021)", False, "Entry quarantine"),
    ("entry.quarantine", D(2021, 9, 1), {"centre_days": 14, "home_days": 14, "test_days": [1, 7, 14]},
     "DOMAIN.md §5 (later 14 + 14)", True, "Entry quarantine"),
    ("entry.post_entry_monitoring_days", D(2020, 10, 14), 28,
     "Văn bản 8627/VPCP-KGVX ngày 14/10/2020; seed 002 §2", False, "Days of monitoring after entry"),
    ("contacts.f1_window_days_before_onset", D(2020, 3, 1), 2, "DOMAIN.md §5", False,
     "Contacts count from this many days before the case's onset"),
    ("contacts.f1_quarantine", D(2022, 2, 21),
     {"vaccinated": {"quarantine_days": 5, "monitoring_days": 5},
      "unvaccinated": {"quarantine_days": 7, "monitoring_days": 3}},
     "DOMAIN.md §5 (from 21/02/2022)", False, "F1 quarantine and monitoring"),
    # §6 Testing and cases: which positive results confirm a case (F0) on their own.
    ("cases.confirmation", D(2020, 3, 1), {"kinds": ["pcr"], "antigen_if": []},
     "Bộ Y tế, hướng dẫn chẩn đoán và điều trị COVID-19 (2020)", False,
     "Test kinds whose positive result confirms a case; antigen only with one of the listed reasons"),
    ("cases.confirmation", D(2022, 3, 1), {"kinds": ["pcr", "antigen"], "antigen_if": ["contact", "symptoms"]},
     "Bộ Y tế 03/2022: F1 or a person with symptoms and a positive rapid antigen test is a case", True,
     "Test kinds whose positive result confirms a case; antigen only with one of the listed reasons"),
    ("testing.pool_max_size", D(2021, 5, 1), 10, "Bộ Y tế, hướng dẫn gộp mẫu xét nghiệm RT-PCR", True,
     "Most samples in one pooled RT-PCR test"),
    ("testing.fees", D(2021, 7, 8), {"pcr": 501800, "pooled_pcr": 0, "antigen": 78000, "self_test": 0},
     "Thông tư 16/2021/TT-BYT (insurance price of a test)", True,
     "Fee of a test by kind, in VND (pooled: per pool share, set by the province)"),
    ("home_care.no_entry_hours", D(2022, 1, 31), 12, "EpiCommand: twice-daily monitoring (Quyết định 261/QĐ-BYT)",
     False, "Hours without an entry after which a home patient appears on the escalation queue"),
    ("cases.key_staff_alert_share", D(2021, 1, 1), 0.3, "Seed 004 §1 (threshold chosen by the province)", True,
     "Share of an agency's key staff infected at once that alerts the command centre"),
    # §6 Cases and treatment.
    ("cases.severity.thresholds", D(2021, 10, 6),
     {"mild": {"rr_below": 20, "spo2_above": 96}, "moderate": {"rr": [20, 25], "spo2": [94, 96]},
      "severe": {"rr_above": 25, "spo2_below": 94}},
     "Quyết định 4689/QĐ-BYT; 250/QĐ-BYT (2022)", False, "Severity by respiratory rate and SpO2"),
    ("cases.severity.critical_rr", D(2021, 10, 6), {"above": 30, "below": 10},
     "DOMAIN.md §6", True, "Respiratory rate that marks a critical case"),
    ("cases.tier_by_severity", D(2021, 8, 1),
     {"asymptomatic": 1, "mild": 1, "mild_with_comorbidity": 2, "moderate": 2, "severe": 3, "critical": 3},
     "Công văn 1168; seed 000 §1", False, "The tier of the 3-tier tower for each severity"),
    ("home_care.eligibility", D(2022, 1, 31),
     {"severities": ["asymptomatic", "mild"], "rr_below": 20, "spo2_above": 96,
      "no_unstable_comorbidity": True, "self_care": True, "phone": True},
     "Quyết định 261/QĐ-BYT (2022)", False, "Who may be treated at home"),
    ("home_care.spo2_warning", D(2022, 1, 31), 96, "Quyết định 261/QĐ-BYT (2022)", False,
     "SpO2 at or below which (re-measured) the health worker is called"),
    ("home_care.rr_warning", D(2022, 1, 31), {"adult": 20, "age_1_to_5": 40, "age_5_to_12": 30},
     "Quyết định 261/QĐ-BYT (2022)", False, "Respiratory rate at or above which the health worker is called"),
    ("home_care.pulse_warning", D(2022, 1, 31), {"above": 120, "below": 50},
     "Quyết định 261/QĐ-BYT (2022)", False, "Pulse outside which the health worker is called"),
    ("home_care.blood_pressure_warning", D(2022, 1, 31), {"systolic_below": 90, "diastolic_below": 60},
     "Quyết định 261/QĐ-BYT (2022)", False, "Blood pressure below which the health worker is called"),
    ("home_care.warning_symptoms", D(2022, 1, 31), ["chest_pain", "confusion", "cyanosis"],
     "Quyết định 261/QĐ-BYT (2022)", False, "Symptoms that call the health worker at once"),
    ("home_care.checks_per_day", D(2022, 1, 31), 2, "Quyết định 261/QĐ-BYT (2022)", False,
     "Monitoring entries expected per day"),
    ("home_care.release", D(2022, 1, 31), {"days": 7, "negative_test": True},
     "Quyết định 261/QĐ-BYT (2022)", False, "Release from home treatment"),
    ("home_care.release_extension_days", D(2022, 1, 31), [10, 14], "DOMAIN.md §6", True,
     "Longer treatment when the test stays positive"),
    # §7 Risk levels.
    ("risk.case_rate_bands", D(2021, 10, 11), {"level_2_from": 20, "level_3_from": 50, "level_4_from": 150},
     "Nghị quyết 128/NQ-CP; Quyết định 4800/QĐ-BYT", True,
     "New community cases per 100,000 per week that start levels 2–4 (20 and 150 confirmed; 50 not)"),
    ("risk.vaccination_coverage_targets", D(2022, 1, 27), {"population_full": 0.75, "high_risk_full": 0.90},
     "Quyết định 218/QĐ-BYT (01/2022)", False, "Full-vaccination shares that lower the risk level"),
    ("risk.first_dose_coverage_adults", D(2021, 10, 11), 0.70, "Nghị quyết 128/NQ-CP", True,
     "Share of adults with at least one dose considered covered"),
    ("safety.workplace_bands", D(2020, 5, 27),
     {"very_low": 15, "low": 30, "medium": 50, "high": 80, "very_high": 100},
     "Quyết định 2194/QĐ-BCĐQG", False, "Upper bound (% of risk points) of each workplace risk band"),
]


def seed(policy_model: type) -> int:
    """Insert each default version that is missing; never changes an existing row. Returns how many."""
    created = 0
    for key, effective_from, value, source, unverified, description in DEFAULTS:
        _, was_created = policy_model.objects.get_or_create(
            key=key,
            effective_from=effective_from,
            defaults={"value": value, "source": source, "unverified": unverified, "note": description},
        )
        created += was_created
    if created:
        from .policies import forget

        forget()  # migrations write through their historical model, which sends no signal to the cache
    return created
