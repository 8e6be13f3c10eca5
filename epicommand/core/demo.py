"""Demo organizations and one account per role, for trying EpiCommand and for the browser tests.
Everything goes through the services, acting as the demo command-centre account."""

from __future__ import annotations

import secrets

from django.db import transaction

from . import audit
from .models import AuditEvent, Organization, Place, User
from .roles import Role
from .services.accounts import bootstrap_command_account, create_account
from .services.organizations import create_organization

K = Organization.Kind

# (key, name, kind, tier, commune short name or None for the province itself)
ORGANIZATIONS = [
    ("command", "Ban Chỉ đạo phòng, chống dịch tỉnh", K.COMMAND_CENTRE, None, None),
    ("doh", "Sở Y tế", K.HEALTH_DEPARTMENT, None, None),
    ("cdc", "Trung tâm Kiểm soát bệnh tật tỉnh", K.CDC, None, None),
    ("hospital", "Bệnh viện Đa khoa tỉnh", K.PROVINCIAL_HOSPITAL, 3, None),
    ("education", "Sở Giáo dục và Đào tạo", K.AGENCY, None, None),
    ("health_centre", "Trung tâm Y tế khu vực Mường Tè", K.HEALTH_CENTRE, 2, "Mường Tè"),
    ("station", "Trạm Y tế xã Mường Tè", K.COMMUNE_STATION, None, "Mường Tè"),
    ("mobile", "Trạm y tế lưu động số 1 xã Mường Tè", K.MOBILE_STATION, None, "Mường Tè"),
    ("site", "Điểm tiêm chủng Trạm Y tế xã Mường Tè", K.VACCINATION_SITE, None, "Mường Tè"),
    ("treatment", "Cơ sở thu dung, điều trị COVID-19 xã Mường Tè", K.TREATMENT_FACILITY, 1, "Mường Tè"),
    ("school", "Trường Phổ thông Dân tộc Nội trú Mường Tè", K.SCHOOL, None, "Mường Tè"),
    ("lodging", "Nhà nghỉ Bản Bo", K.LODGING, None, "Bản Bo"),
    ("checkpoint", "Chốt kiểm soát dịch bệnh Phong Thổ", K.CHECKPOINT, None, "Phong Thổ"),
    ("isolation", "Khu cách ly tập trung Phong Thổ", K.ISOLATION_FACILITY, None, "Phong Thổ"),
]

# (username, role, full name, organization key, commune short name or None for the province)
ACCOUNTS = [
    ("demo.chihuy", Role.COMMAND, "Trung tâm Chỉ huy tỉnh", "command", None),
    ("demo.soyte", Role.HEALTH_OFFICER, "Cán bộ Sở Y tế", "doh", None),
    ("demo.tramyte", Role.COMMUNE_STATION, "Trạm Y tế xã Mường Tè", "station", "Mường Tè"),
    ("demo.luudong", Role.MOBILE_STATION, "Nhân viên trạm lưu động", "mobile", "Mường Tè"),
    ("demo.benhvien", Role.FACILITY, "Bệnh viện Đa khoa tỉnh", "hospital", None),
    ("demo.diemtiem", Role.VACCINATION_SITE, "Điểm tiêm xã Mường Tè", "site", None),
    ("demo.chot", Role.CHECKPOINT, "Chốt kiểm soát Phong Thổ", "checkpoint", None),
    ("demo.truonghoc", Role.ESTABLISHMENT, "Trường PTDTNT Mường Tè", "school", None),
    ("demo.sogd", Role.DEPARTMENT, "Đầu mối Sở Giáo dục", "education", None),
]


def _contact(n: int, name: str) -> dict[str, str]:
    """A demo unit's or account's phone and e-mail, so the alerts addressed to them show as sent. The numbers
    belong to nobody (0900 000 0xx) and the addresses end in .invalid, which no mail ever reaches."""
    return {"phone": f"09000000{n:02d}", "email": f"{name}@demo.epicommand.invalid"}


def _commune(province: Place, short: str) -> Place:
    return Place.objects.get(parent=province, short_name=short)


@transaction.atomic
def seed(province_code: str, password: str) -> list[tuple[str, str]]:
    """Create what is missing (idempotent). Returns (username, role label) for every demo account."""
    province = Place.objects.get(structure=Place.Structure.CURRENT, level=Place.Level.PROVINCE, code=province_code)
    chief = User.objects.filter(username=ACCOUNTS[0][0]).first()
    if chief is None:
        chief = bootstrap_command_account(username=ACCOUNTS[0][0], password=password, province=province,
                                          full_name=ACCOUNTS[0][2])
    orgs: dict[str, Organization] = {}
    for key, name, kind, tier, commune in ORGANIZATIONS:
        place = _commune(province, commune) if commune else province
        full_name = name if commune else f"{name} {province.short_name}"
        org = Organization.objects.filter(name=full_name, place=place).first()
        orgs[key] = org or create_organization(actor=chief, name=full_name, kind=kind, place=place, tier=tier,
                                               **_contact(len(orgs), key))
    for n, commune in enumerate(Place.objects.filter(parent=province).order_by("code"), start=len(ORGANIZATIONS)):
        name = f"Trạm Y tế {commune.name[0].lower()}{commune.name[1:]}"
        if not Organization.objects.filter(kind=K.COMMUNE_STATION, place=commune).exists():
            create_organization(actor=chief, name=name, kind=K.COMMUNE_STATION, place=commune,
                                **_contact(n, f"tramyte.{commune.code}"))
    if chief.organization_id is None:
        chief.organization = orgs["command"]
        chief.save(update_fields=["organization"])
        audit.record(actor=None, action=AuditEvent.Action.UPDATE, obj=chief, reason="seed_demo",
                     changes={"organization": [None, str(orgs["command"])]})
    for n, (username, role, full_name, org_key, commune) in enumerate(ACCOUNTS[1:], start=90):
        if User.objects.filter(username=username).exists():
            continue
        place = None
        if role in (Role.HEALTH_OFFICER,):
            place = province
        elif commune:
            place = _commune(province, commune)
        create_account(actor=chief, username=username, password=password, role=role, place=place,
                       organization=orgs[org_key], full_name=full_name, **_contact(n, username))
    return [(u, Role(r).label) for u, r, *_ in ACCOUNTS]


def new_password() -> str:
    return secrets.token_urlsafe(12)
