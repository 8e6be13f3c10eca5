"""Benchmark of the record linkage (epicommand.people.linkage.link) on a synthetic Lai Châu population.

    .venv/bin/python bench/bench_linkage.py [--register 200000] [--reference 500000] [--seed 1]

The ground truth is generated here, deterministically from the seed: a reference population (the National
Population Database extract) with the names of Lai Châu's peoples, and a register drawn from it (90% present,
10% absent) carrying the faults Công văn 1495/BYT-CNTT names (wrong birth date, wrong name, number not
found) at assumed rates of commune data entry (RATES below; the measured shares are printed). Linkage is
measured against a deterministic baseline (exact CCCD, else exact folded name + birth date + commune when
unique) run on the same data.

A predicted link is the best candidate above the threshold; precision is over predicted links, recall over
register records that truly exist in the reference. Targets from the issue: precision ≥ 0.99, recall ≥ 0.97,
under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# ---- names -----------------------------------------------------------------------------------------
# Per people: surnames (most frequent first, Zipf-like draw), middle names by sex (repeats encode frequency:
# most Mông men are "A", most Thái and Kinh women "Thị") and given names by sex (frequent first, a flatter
# Zipf draw). Many people share a full name, as in the province.
PEOPLES: dict[str, dict[str, list[str]]] = {
    "Mông": {
        "surname": ["Giàng", "Sùng", "Vàng", "Thào", "Lý", "Hờ", "Lầu", "Tráng", "Chang", "Má", "Hạng", "Mùa",
                    "Vừ", "Lù", "Cứ", "Sình", "Phàng", "Chá", "Cháng", "Ly", "Khang", "Mua"],
        "middle_M": ["A", "A", "A", "A", "Seo", "Seo", "Văn", "Chá", "Sài", "Vản"],
        "middle_F": ["Thị", "Thị", "Thị", "Thị", "Mí", "Mỷ", "Xó"],
        "given_M": ["Dế", "Chư", "Lử", "Páo", "Sử", "Chinh", "Súa", "Tủa", "Vư", "Pó", "Dia", "Chá", "Lầu",
                    "Chà", "Sính", "Khua", "Nhè", "Pao", "Su", "Tếnh", "Chứ", "Giàng", "Say", "Cở", "Tú", "Lềnh",
                    "Sùng", "Vảng", "Cu", "Ký", "Nủ", "Phừ", "Xá", "Chông", "Dùa", "Kỷ", "Mang", "Sông", "Thái",
                    "Nhà", "Tồng", "Lùng", "Dơ", "Chẩu", "Hừ", "Lồng", "Sếnh", "Chớ", "Dình", "Pàng",
                    "Sình", "Vàng", "Chúng", "Lèng", "Dủa", "Cáng", "Lúa", "Tráng", "Sà", "Dào", "Phủ"],
        "given_F": ["Mỷ", "Pà", "Dở", "Mai", "Dua", "Say", "Chia", "Xúa", "Máy", "Mua", "Sua", "Pằng", "Dợ",
                    "Lan", "Chở", "Ly", "Mỉ", "Sò", "Pó", "Súa", "Dính", "Lỳ", "Nhìa", "Chá", "Xo", "Ca", "Vá",
                    "Dùa", "Sầu", "Của", "Sinh", "Mẩy", "Dê", "Lia", "Chư", "Kía", "Sú", "Pàng", "Xí", "Chi",
                    "Dinh", "Mày", "Xia", "Làu", "Cở", "Nu", "Dé", "Mống", "Sy", "Tồng", "Chua", "Ngọc", "Hoa",
                    "Dung", "Hằng", "Va", "Dia", "Mý"],
    },
    "Thái": {
        "surname": ["Lò", "Tòng", "Lường", "Cầm", "Quàng", "Lù", "Điêu", "Hoàng", "Vì", "Hà", "Lê", "Tao",
                    "Kha", "Bạc", "Mè", "Lự", "Khoàng", "Vi", "Sa"],
        "middle_M": ["Văn", "Văn", "Văn", "Văn", "Văn", "Minh", "Đức", "Xuân", "Thanh"],
        "middle_F": ["Thị", "Thị", "Thị", "Thị", "Thị", "Thu", "Hồng", "Thanh"],
        "given_M": ["Thắng", "Ánh", "Pánh", "Ngọc", "Khoa", "Xuân", "Hùng", "Tiến", "Hiên", "Phong", "Kiên",
                    "Thanh", "Hải", "Minh", "Chiến", "Cương", "Bun", "Phanh", "Ơn", "Sinh", "Tuấn", "Hưng",
                    "Pắn", "Inh", "Chăn", "Khăm", "Pấng", "Quân", "Dũng", "Sơn", "Nọi", "Biên", "Lả", "Tương",
                    "Hoan", "Thuận", "Bình", "Sương", "Páng", "Dương", "Thái", "Hướng", "Lực", "Thiêm", "Tâm",
                    "Điện", "Ngân", "Chung", "Huấn", "Đông", "Trường", "Thủy", "Chính", "Sáng", "Lún", "Hặc",
                    "Khánh", "Phượng", "Tài", "Nghĩa", "Quyết", "Hiếu", "Tuyên", "Chương"],
        "given_F": ["Ưng", "Hoa", "Ơn", "Phương", "Xuân", "Duyên", "Nhung", "Hương", "Thu", "Lả", "Ín", "Pan",
                    "Hiền", "Thơm", "Lan", "Mai", "Hà", "Ngọc", "Ngân", "Diện", "Dung", "Biên", "Đôi", "Kim",
                    "Chiên", "Lún", "Ánh", "Nga", "Hằng", "Tiên", "Pọm", "Ên", "Mến", "Bun", "Xiêng", "Phong",
                    "Hạnh", "Thủy", "Thảo", "Huyền", "Linh", "Trang", "Yến", "Liên", "Loan", "Oanh", "Vân",
                    "Khánh", "Thoa", "Sen", "Tươi", "Nhàn", "Hoài", "Quyên", "Tâm", "Thanh", "Ngần"],
    },
    "Dao": {
        "surname": ["Tẩn", "Chảo", "Phàn", "Lý", "Triệu", "Đặng", "Bàn", "Lò", "Sần", "Chìu"],
        "middle_M": ["Láo", "Láo", "A", "A", "Văn", "Phù", "San", "Kiến", "Quẩy", "Vần"],
        "middle_F": ["Mý", "Mý", "Thị", "Thị", "Sử", "Mẩy", "Mỷ"],
        "given_M": ["Lở", "Quẩy", "Tả", "Chản", "Phin", "Kiềm", "Sành", "Dùn", "Pham", "Lù", "Chìa", "Xoang",
                    "Vần", "Chòi", "Phẩy", "Lai", "Kin", "Sơn", "Tiến", "Chiêu", "Nải", "Làu", "Chạn", "San",
                    "Dín", "Phủ", "Ton", "Mẩy", "Sằn", "Khé", "Phú", "Vảng", "Sướng", "Dao", "Kiêm", "Chàn",
                    "Tạ", "Quyến", "Lìn", "Ông", "Sinh", "Vinh"],
        "given_F": ["Chiêu", "Mẩy", "Chài", "Dính", "Nái", "Chìa", "Xuân", "Phảy", "Lở", "Sái", "Ván", "Chản",
                    "Dao", "Sinh", "Kiều", "Mai", "Lan", "Chẳn", "Phấy", "Quẩy", "Xiêm", "Tả", "Sành", "Cói",
                    "Lai", "Dùn", "Nải", "Phin", "Khé", "Ton", "Chạn", "Liên", "Hương", "Thu"],
    },
    "Hà Nhì": {
        "surname": ["Pờ", "Lỳ", "Chu", "Lò", "Ly", "Sừ", "Hạng", "Phu", "Lù", "Chang", "Tẩn"],
        "middle_M": ["Lò", "Chà", "A", "Gó", "Xe", "Hừ", "Mé"],
        "middle_F": ["Mì", "Mi", "Thị", "Xó", "Cà"],
        "given_M": ["Xá", "Chừ", "Pứ", "Hừ", "Lồ", "Cà", "Chà", "Lừ", "Xè", "Sừ", "Mé", "Phạ", "Gợ", "Khừ",
                    "Hờ", "Xừ", "Dì", "Go", "Pò", "Mố", "Chò", "Hà", "Lù", "Dế", "Dò", "Pà", "Sạ", "Hò"],
        "given_F": ["Xá", "Chừ", "Mé", "Phạ", "Gợ", "Cà", "Xè", "Lừ", "Hừ", "Pò", "Mố", "Dì", "Xó", "Chè",
                    "Go", "Pứ", "Hờ", "Khừ", "Chò", "Lồ", "Xạ", "Mừ", "Pú"],
    },
    "Kinh": {
        "surname": ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Ngô", "Đặng", "Dương",
                    "Đinh", "Hà", "Trịnh", "Phan", "Đào", "Lương", "Mai", "Tạ", "Cao", "Lưu", "Đoàn", "Vương"],
        "middle_M": ["Văn", "Văn", "Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Ngọc", "Xuân", "Công",
                     "Trung", "Tiến", "Mạnh", "Đình", "Quang", "Anh"],
        "middle_F": ["Thị", "Thị", "Thị", "Thị", "Thị", "Thu", "Thùy", "Hồng", "Kim", "Ngọc", "Thanh", "Phương",
                     "Minh", "Hải", "Bích", "Diệu", "Khánh"],
        "given_M": ["Hùng", "Dũng", "Tuấn", "Minh", "Anh", "Nam", "Long", "Cường", "Sơn", "Hải", "Hưng", "Tùng",
                    "Thắng", "Trung", "Hiếu", "Đức", "Quang", "Phong", "Toàn", "Huy", "Thành", "Bình", "Hoàng",
                    "Khánh", "Tài", "Lâm", "Việt", "Kiên", "Hòa", "Vinh", "Quân", "Đạt", "Thịnh", "Tú", "Hiệp",
                    "Lợi", "Nghĩa", "Tâm", "Phúc", "Khoa", "Trường", "Duy", "Bảo", "Thái", "Hậu", "Chiến",
                    "Dương", "Giang", "Hào", "Hiển", "Khải", "Lộc", "Mạnh", "Nhật", "Phát", "Quý", "Sang", "Tân",
                    "Thanh", "Thuận", "Trọng", "Tuệ", "Văn", "Vũ", "Hà", "Định", "Hội", "Luân", "Ngọc", "Nguyên"],
        "given_F": ["Lan", "Hương", "Trang", "Hoa", "Linh", "Hà", "Thảo", "Huyền", "Thủy", "Nga", "Phương",
                    "Mai", "Hằng", "Hiền", "Ngọc", "Yến", "Dung", "Loan", "Nhung", "Vân", "Anh", "Oanh", "Thu",
                    "Tuyết", "Hạnh", "Liên", "Giang", "Quỳnh", "Trinh", "Thoa", "Lý", "Nhàn", "Duyên", "Hồng",
                    "Chi", "Thúy", "Hòa", "Vy", "My", "Uyên", "Ánh", "Bích", "Diệp", "Đào", "Gấm", "Hậu", "Huệ",
                    "Khuyên", "Lệ", "Liễu", "Ly", "Minh", "Nguyệt", "Nhi", "Phượng", "Quyên", "Sen", "Tâm",
                    "Thắm", "Thanh", "Thơ", "Thư", "Tiên", "Trâm", "Vui", "Xuân"],
    },
    "Giáy": {
        "surname": ["Hoàng", "Lò", "Vàng", "Lù", "Lương", "Sầm", "Giàng"],
        "middle_M": ["Văn", "Văn", "Văn", "Seo"],
        "middle_F": ["Thị", "Thị", "Thị", "Seo"],
        "given_M": ["Chỉn", "Sáng", "Chấn", "Phầu", "Sinh", "Liểm", "Mình", "Thành", "Tiến", "Sơn", "Páo",
                    "Chung", "Dình", "Lìn", "Sìn", "Chiến", "Thắng", "Sểnh", "Pao", "Vản"],
        "given_F": ["Pà", "Dìn", "Sanh", "Chiến", "Mây", "Hoa", "Liên", "Lan", "Dung", "Tâm", "Sấm", "Mìn",
                    "Sảo", "Phương", "Hương", "Sen"],
    },
}
ZIPF = {"surname": 1.0, "middle": 0.0, "given": 0.6}
# Approximate shares of the province's peoples (the larger groups in the order of the 2019 census, not its
# exact figures; Lự, Si La, Mảng, Cống, Kháng are folded into the closest naming tradition here).
PEOPLE_SHARES = {"Mông": 0.36, "Thái": 0.32, "Dao": 0.13, "Kinh": 0.13, "Hà Nhì": 0.035, "Giáy": 0.025}
REFERENCE_DAY = date(2022, 6, 30)

# Assumed fault rates in the register (per record, independently; a swap needs a day ≤ 12).
RATES = {
    "cccd_missing_child": 0.70, "cccd_missing_adult": 0.15, "cccd_wrong": 0.02,
    "no_diacritics": 0.25, "typo": 0.05, "middle_dropped": 0.02,
    "dm_swapped": 0.03, "year_only": 0.05, "year_only_elderly": 0.20, "wrong_day": 0.02, "year_off": 0.01,
    "old_commune": 0.40, "moved": 0.04, "commune_missing": 0.02,
    "sex_missing": 0.01, "sex_wrong": 0.005,
}


@dataclass
class Person:
    id: str
    full_name: str
    birth_date: date | None
    birth_year: int
    sex: str
    cccd: str | None
    commune: str  # current code
    old_commune: str  # pre-2025 code the person lived in


def _zipf(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (k + 1) ** s for k in range(n)]


class Population:
    """Draws people commune by commune, each pre-2025 commune with its dominant people."""

    def __init__(self, successors: dict[str, str], seed: int) -> None:
        rng = random.Random(f"communes-{seed}")
        self.successors = successors
        self.old_codes = sorted(successors)
        peoples = list(PEOPLE_SHARES)
        shares = [PEOPLE_SHARES[p] for p in peoples]
        self.mix: dict[str, list[float]] = {}
        for code in self.old_codes:
            dominant = rng.choices(peoples, shares)[0]
            self.mix[code] = [0.7 * (p == dominant) + 0.3 * s for p, s in zip(peoples, shares, strict=True)]
        self.peoples = peoples
        self.name_weights = {p: {k: _zipf(len(v), ZIPF[k.split("_")[0]]) for k, v in t.items()}
                             for p, t in PEOPLES.items()}
        ages = list(range(0, 96))
        self.ages, self.age_weights = ages, [pow(0.978, a) * (0.5 if a < 3 else 1.0) for a in ages]
        self.cccds: set[str] = set()

    def name(self, rng: random.Random, people: str, sex: str) -> str:
        table, weights = PEOPLES[people], self.name_weights[people]
        parts = [rng.choices(table["surname"], weights["surname"])[0]]
        parts.append(rng.choices(table[f"middle_{sex}"], weights[f"middle_{sex}"])[0])
        parts.append(rng.choices(table[f"given_{sex}"], weights[f"given_{sex}"])[0])
        return " ".join(parts)

    def cccd(self, rng: random.Random, sex: str, year: int) -> str:
        century = (year // 100 - 19) * 2 + (sex == "F")
        while True:
            value = f"012{century}{year % 100:02d}{rng.randrange(1_000_000):06d}"
            if value not in self.cccds:
                self.cccds.add(value)
                return value

    def person(self, rng: random.Random, pid: str) -> Person:
        old = rng.choice(self.old_codes)
        people = rng.choices(self.peoples, self.mix[old])[0]
        sex = rng.choice("MF")
        age = rng.choices(self.ages, self.age_weights)[0]
        birth = REFERENCE_DAY - timedelta(days=age * 365 + rng.randrange(365))
        full: date | None = birth
        if age >= 60 and rng.random() < 0.25:
            full = None  # the elderly are often registered with a year only
        elif age >= 50 and rng.random() < 0.05:
            full = date(birth.year, 1, 1)  # the customary placeholder date
        return Person(pid, self.name(rng, people, sex), full, birth.year, sex, self.cccd(rng, sex, birth.year),
                      self.successors[old], old)


# ---- faults ----------------------------------------------------------------------------------------

def strip_marks(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# The key to the right on a QWERTY row (to the left at the row's end).
KEYBOARD_NEIGHBOURS = {row[i]: row[i + 1] if i + 1 < len(row) else row[i - 1]
                       for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm") for i in range(len(row))}


def typo(rng: random.Random, name: str) -> str:
    """One slip of the keyboard in one word: a neighbour key, a dropped, doubled or swapped letter."""
    words = name.split(" ")
    i = rng.randrange(len(words))
    w = words[i]
    j = rng.randrange(len(w))
    kind = rng.choice(["neighbour", "drop", "double", "swap"])
    if kind == "neighbour":
        base = strip_marks(w[j]).lower()
        w = w[:j] + KEYBOARD_NEIGHBOURS.get(base, base) + w[j + 1:]
    elif kind == "drop" and len(w) > 1:
        w = w[:j] + w[j + 1:]
    elif kind == "double":
        w = w[:j] + w[j] + w[j:]
    elif j + 1 < len(w):
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    else:
        w = w + rng.choice("aeiou")
    words[i] = w
    return " ".join(words)


def wrong_cccd(rng: random.Random, value: str) -> str:
    digits = list(value)
    j = rng.randrange(6, 12)
    if rng.random() < 0.7:
        digits[j] = str((int(digits[j]) + rng.randrange(1, 10)) % 10)
    else:
        k = j - 1 if j == 11 else j + 1
        digits[j], digits[k] = digits[k], digits[j]
    return "".join(digits)


def register_view(rng: random.Random, p: Person, currents: list[str], flags: Counter) -> Person:
    """How the commune register holds a person of the reference, with its faults (recorded in `flags`)."""
    age = REFERENCE_DAY.year - p.birth_year
    r = RATES
    q = replace(p)
    if rng.random() < (r["cccd_missing_child"] if age < 14 else r["cccd_missing_adult"]):
        q.cccd = None
        flags["cccd_missing"] += 1
    elif rng.random() < r["cccd_wrong"]:
        q.cccd = wrong_cccd(rng, p.cccd or "")
        flags["cccd_wrong"] += 1

    if rng.random() < r["middle_dropped"]:
        words = q.full_name.split(" ")
        q.full_name = " ".join([words[0], *words[2:]])
        flags["middle_dropped"] += 1
    if rng.random() < r["typo"]:
        q.full_name = typo(rng, q.full_name)
        flags["typo"] += 1
    if rng.random() < r["no_diacritics"]:
        q.full_name = strip_marks(q.full_name)
        flags["no_diacritics"] += 1

    bd = p.birth_date
    if bd is None:
        if rng.random() < 0.4:  # the register asked the person and wrote a full date down
            q.birth_date = date(p.birth_year, rng.randrange(1, 13), rng.randrange(1, 29))
            flags["date_vs_year"] += 1
    elif rng.random() < (r["year_only_elderly"] if age >= 60 else r["year_only"]):
        q.birth_date = None
        flags["year_only"] += 1
    elif rng.random() < r["dm_swapped"] and bd.day <= 12 and bd.day != bd.month:
        q.birth_date = date(bd.year, bd.day, bd.month)
        flags["dm_swapped"] += 1
    elif rng.random() < r["wrong_day"]:
        q.birth_date = date(bd.year, bd.month, rng.choice([d for d in range(1, 29) if d != bd.day]))
        flags["wrong_day"] += 1
    elif rng.random() < r["year_off"]:
        year = bd.year + rng.choice([-1, 1])
        q.birth_date = date(year, bd.month, 28 if (bd.month, bd.day) == (2, 29) else bd.day)
        flags["year_off"] += 1
    if q.birth_date is not None:
        q.birth_year = q.birth_date.year

    if rng.random() < r["sex_missing"]:
        q.sex = ""
        flags["sex_missing"] += 1
    elif rng.random() < r["sex_wrong"]:
        q.sex = "F" if p.sex == "M" else "M"
        flags["sex_wrong"] += 1

    if rng.random() < r["commune_missing"]:
        q.commune = ""
        flags["commune_missing"] += 1
    elif rng.random() < r["moved"]:
        q.commune = rng.choice([c for c in currents if c != p.commune])
        flags["moved"] += 1
    elif rng.random() < r["old_commune"]:
        q.commune = p.old_commune  # entered before the July 2025 reform
        flags["old_commune"] += 1
    return q


def generate(n_reference: int, n_register: int, seed: int, successors: dict[str, str]):
    pop = Population(successors, seed)
    rng = random.Random(f"reference-{seed}")
    reference = [pop.person(rng, f"R{i:07d}") for i in range(n_reference)]
    rng = random.Random(f"register-{seed}")
    n_present = round(n_register * 0.9)
    drawn = rng.sample(range(n_reference), n_present)
    currents = sorted(set(successors.values()))
    register: list[Person] = []
    truth: dict[str, str | None] = {}
    flags_of: dict[str, Counter] = {}
    for k, i in enumerate(drawn):
        flags: Counter = Counter()
        q = register_view(rng, reference[i], currents, flags)
        q.id = f"G{k:07d}"
        register.append(q)
        truth[q.id] = reference[i].id
        flags_of[q.id] = flags
    absent_rng = random.Random(f"absent-{seed}")
    for k in range(n_present, n_register):
        p = pop.person(absent_rng, f"G{k:07d}")  # someone the reference does not hold
        flags = Counter(["absent"])
        q = register_view(absent_rng, p, currents, flags)
        if absent_rng.random() < 0.3:
            q.cccd = None
        register.append(q)
        truth[q.id] = None
        flags_of[q.id] = flags
    order = random.Random(f"order-{seed}")
    order.shuffle(register)
    return reference, register, truth, flags_of


# ---- measuring -------------------------------------------------------------------------------------

def as_link_record(p: Person, successors: dict[str, str]):
    from epicommand.people.linkage import LinkRecord

    # What a caller does: old commune codes mapped to the current ones before linking.
    commune = successors.get(p.commune, p.commune) if p.commune else None
    return LinkRecord(id=p.id, full_name=p.full_name, birth_date=p.birth_date, birth_year=p.birth_year,
                      sex=p.sex or None, cccd=p.cccd, commune_code=commune)


def baseline(register, reference) -> dict[str, str]:
    """Exact matching as done by hand: CCCD, else folded name + full birth date + commune when unique."""
    from epicommand.core.text import fold

    by_cccd = {r.cccd: r.id for r in reference if r.cccd}
    by_key: dict[tuple, list[str]] = defaultdict(list)
    for r in reference:
        if r.birth_date:
            by_key[(fold(r.full_name), r.birth_date, r.commune_code)].append(r.id)
    out: dict[str, str] = {}
    for g in register:
        if g.cccd and g.cccd in by_cccd:
            out[g.id] = by_cccd[g.cccd]
        elif g.birth_date:
            hits = by_key.get((fold(g.full_name), g.birth_date, g.commune_code), [])
            if len(hits) == 1:
                out[g.id] = hits[0]
    return out


def score(predicted: dict[str, str], truth: dict[str, str | None]) -> tuple[float, float, int, int]:
    tp = sum(1 for g, r in predicted.items() if truth.get(g) == r)
    fp = len(predicted) - tp
    present = sum(1 for r in truth.values() if r is not None)
    return (tp / len(predicted) if predicted else 0.0), (tp / present if present else 0.0), tp, fp


class PhaseTimes(logging.Handler):
    """Collects what link() logs: the seconds of each phase and the estimated presence rate."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.times: dict[str, float] = {}
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("linkage phase"):
            name, seconds = record.args
            self.times[name] = self.times.get(name, 0.0) + seconds
        elif record.levelno >= logging.INFO:
            self.notes.append(record.getMessage())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--register", type=int, default=200_000)
    parser.add_argument("--reference", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "epicommand.settings")
    import django

    django.setup()
    from epicommand.people.linkage import commune_successors, link

    successors = commune_successors("12")
    t0 = time.perf_counter()
    reference_people, register_people, truth, flags_of = generate(args.reference, args.register, args.seed,
                                                                 successors)
    reference = [as_link_record(p, successors) for p in reference_people]
    register = [as_link_record(p, successors) for p in register_people]
    t_gen = time.perf_counter() - t0
    names = Counter(p.full_name for p in reference_people)
    print(f"generated {len(reference):,} reference and {len(register):,} register records in {t_gen:.1f} s "
          f"(seed {args.seed}); {len(names):,} distinct reference names, the commonest "
          f"{names.most_common(1)[0][0]!r} ×{names.most_common(1)[0][1]}; peak {peak_mb():,.0f} MB")
    faults = Counter()
    for f in flags_of.values():
        faults.update(f)
    print("register faults: " + ", ".join(f"{k} {v / len(register):.1%}" for k, v in sorted(faults.items())))

    t0 = time.perf_counter()
    base = baseline(register, reference)
    t_base = time.perf_counter() - t0
    bp, br, _, bfp = score(base, truth)

    handler = PhaseTimes()
    log = logging.getLogger("epicommand.people.linkage")
    log.setLevel(logging.INFO)
    log.addHandler(handler)
    log.propagate = False  # printed below, once
    # Splink warns of levels it did not observe while training; link() fills those in itself.
    logging.getLogger("splink").setLevel(logging.ERROR)
    peak_before = peak_mb()
    t0 = time.perf_counter()
    matches = link(register, reference, threshold=args.threshold)
    t_link = time.perf_counter() - t0
    best: dict[str, str] = {}
    for m in matches:  # best first within each register record
        best.setdefault(m.left_id, m.right_id)
    p, r, tp, fp = score(best, truth)

    print(f"\n{'':24}{'precision':>10}{'recall':>10}{'links':>10}{'false':>8}{'seconds':>10}")
    print(f"{'baseline (exact rules)':24}{bp:>10.4f}{br:>10.4f}{len(base):>10,}{bfp:>8,}{t_base:>10.1f}")
    print(f"{'link() (Splink)':24}{p:>10.4f}{r:>10.4f}{len(best):>10,}{fp:>8,}{t_link:>10.1f}")
    print(f"{'ratio link/baseline':24}{p / bp if bp else 0:>10.3f}{r / br if br else 0:>10.3f}"
          f"{len(best) / len(base) if base else 0:>10.3f}{'':>8}{t_link / t_base if t_base else 0:>10.1f}")
    print("\nphases of link(): " + ", ".join(f"{k} {v:.1f} s" for k, v in handler.times.items()))
    for note in handler.notes:
        print(note)
    print(f"peak memory (ru_maxrss, whole process): {peak_before:,.0f} MB with the generated data before "
          f"link(), {peak_mb():,.0f} MB after")

    print("\nrecall by register fault (present records carrying it):")
    for fault in sorted(faults):
        if fault == "absent":
            continue
        ids = [g for g, f in flags_of.items() if fault in f and truth[g] is not None]
        hit = sum(1 for g in ids if best.get(g) == truth[g])
        wrong = sum(1 for g in ids if g in best and best[g] != truth[g])
        print(f"  {fault:18}{len(ids):>8,}  recall {hit / len(ids) if ids else 0:.4f}  wrong link {wrong:,}")
    absent = [g for g, t in truth.items() if t is None]
    print(f"  {'absent (no match)':18}{len(absent):>8,}  linked anyway {sum(1 for g in absent if g in best):,}")
    ok = p >= 0.99 and r >= 0.97 and t_link < 180
    print(f"\ntargets precision ≥ 0.99, recall ≥ 0.97, link() < 180 s: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
