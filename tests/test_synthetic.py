"""The synthetic population generator and the ethnic-group list (pure Python: no database)."""

from __future__ import annotations

import csv
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import islice

import pytest

from epicommand.people.ethnicities import ETHNICITIES, ETHNICITY_CHOICES, ETHNICITY_NAMES, find_ethnicity
from epicommand.people.synthetic import (
    CONDITIONS,
    CSV_HEADERS,
    ETHNIC_SHARES,
    Commune,
    SyntheticPerson,
    generate,
    to_row,
    village_names,
    village_plan,
    write_csv,
)

TODAY = date(2022, 1, 15)
# The 38 communes and wards of Lai Châu since 1/7/2025; the two wards are the most populous.
_LAI_CHAU = (
    ("03388", "Phường Đoàn Kết"), ("03390", "Xã Bình Lư"), ("03394", "Xã Sin Suối Hồ"), ("03405", "Xã Tả Lèng"),
    ("03408", "Phường Tân Phong"), ("03424", "Xã Bản Bo"), ("03430", "Xã Khun Há"), ("03433", "Xã Bum Tở"),
    ("03434", "Xã Nậm Hàng"), ("03439", "Xã Thu Lũm"), ("03442", "Xã Pa Ủ"), ("03445", "Xã Mường Tè"),
    ("03451", "Xã Mù Cả"), ("03460", "Xã Hua Bum"), ("03463", "Xã Tà Tổng"), ("03466", "Xã Bum Nưa"),
    ("03472", "Xã Mường Mô"), ("03478", "Xã Sìn Hồ"), ("03487", "Xã Lê Lợi"), ("03503", "Xã Pa Tần"),
    ("03508", "Xã Hồng Thu"), ("03517", "Xã Nậm Tăm"), ("03529", "Xã Tủa Sín Chải"), ("03532", "Xã Pu Sam Cáp"),
    ("03538", "Xã Nậm Mạ"), ("03544", "Xã Nậm Cuổi"), ("03549", "Xã Phong Thổ"), ("03562", "Xã Sì Lở Lầu"),
    ("03571", "Xã Dào San"), ("03583", "Xã Khổng Lào"), ("03595", "Xã Than Uyên"), ("03598", "Xã Tân Uyên"),
    ("03601", "Xã Mường Khoa"), ("03613", "Xã Nậm Sỏ"), ("03616", "Xã Pắc Ta"), ("03618", "Xã Mường Than"),
    ("03637", "Xã Mường Kim"), ("03640", "Xã Khoen On"),
)
COMMUNES = [Commune(code, name, 3.5 if name.startswith("Phường") else 1.0) for code, name in _LAI_CHAU]
MONG = find_ethnicity("Mông")
CCCD_PROVINCES = {"012", "001", "010", "011", "014", "015", "022", "025", "030", "034", "036", "037", "038"}
PHONE_PREFIX = re.compile(r"^0(3[2-9]|5[689]|7[06-9]|8[1-9]|9\d)\d{7}$")
INSURANCE = re.compile(r"^[A-Z]{2}[1-5]12\d{10}$")


def age_of(p: SyntheticPerson) -> int:
    if p.birth_date is None:
        return TODAY.year - p.birth_year
    b = p.birth_date
    return TODAY.year - b.year - ((TODAY.month, TODAY.day) < (b.month, b.day))


@pytest.fixture(scope="module")
def people() -> list[SyntheticPerson]:
    return list(generate(COMMUNES, 50_000, 2022, today=TODAY))


# ---- ethnic groups ----------------------------------------------------------------------------------


def test_the_54_groups_have_unique_two_digit_codes_from_01_to_54():
    codes = [code for code, _, _ in ETHNICITIES]
    assert len(codes) == len(set(codes)) == 54
    assert sorted(codes) == [f"{i:02d}" for i in range(1, 55)]
    assert len({name for _, name, _ in ETHNICITIES}) == 54
    assert ETHNICITY_CHOICES[0] == ("01", "Kinh") and len(ETHNICITY_CHOICES) == 54
    assert (ETHNICITY_NAMES["03"], ETHNICITY_NAMES["08"], ETHNICITY_NAMES["35"]) == ("Thái", "Mông", "Hà Nhì")


def test_find_ethnicity_ignores_case_diacritics_and_punctuation_and_knows_other_names():
    assert MONG == "08"
    assert find_ethnicity("hmong") == find_ethnicity("H'Mông") == find_ethnicity("HMÔNG") == MONG
    assert find_ethnicity("Mèo") == find_ethnicity("  mông  ") == find_ethnicity("Dân tộc Mông") == MONG
    assert find_ethnicity("Thái Đen") == find_ethnicity("thai trang") == find_ethnicity("Thái") == "03"
    assert find_ethnicity("Hà Nhì Già") == find_ethnicity("ha nhi") == "35"
    assert find_ethnicity("Xá") == find_ethnicity("Khơ-mú") == find_ethnicity("khomu") == "29"
    assert find_ethnicity("Hoa (Hán)") == "04" and find_ethnicity("người Kinh") == "01"
    assert find_ethnicity("08") == find_ethnicity("8") == MONG
    assert find_ethnicity("Lào") == "37" and find_ethnicity("La Hủ") == "41" and find_ethnicity("Cơ Lao") == "47"


def test_find_ethnicity_refuses_what_is_not_one_of_the_54():
    for text in ("", "   ", "Người nước ngoài", "nuoc ngoai", "55", "0", "Pháp", "Kinh Thái"):
        assert find_ethnicity(text) is None, text


def test_every_name_and_alternative_finds_its_own_group():
    for code, name, alternatives in ETHNICITIES:
        assert unicodedata.normalize("NFC", name) == name
        for label in (name, *alternatives):
            assert find_ethnicity(label) == code, label
            assert find_ethnicity(label.upper()) == code, label


# ---- determinism and streaming ----------------------------------------------------------------------


def test_same_seed_gives_the_same_people_and_a_short_run_is_a_prefix():
    first = list(generate(COMMUNES, 1_000, 7, today=TODAY))
    again = list(generate(COMMUNES, 1_000, 7, today=TODAY))
    longer = list(islice(generate(COMMUNES, 5_000, 7, today=TODAY), 1_000))
    assert first == again == longer
    assert [p.key for p in first[:3]] == ["S7-0000001", "S7-0000002", "S7-0000003"]


def test_another_seed_gives_other_people():
    a = list(generate(COMMUNES, 1_000, 7, today=TODAY))
    b = list(generate(COMMUNES, 1_000, 8, today=TODAY))
    assert sum(x.full_name == y.full_name for x, y in zip(a, b, strict=True)) < 100
    assert not {p.cccd for p in a if p.cccd} & {p.cccd for p in b if p.cccd}


def test_generation_streams_and_yields_exactly_n():
    stream = generate(COMMUNES, 10**9, 1, today=TODAY)  # a list of a billion would never come back
    assert len(list(islice(stream, 10))) == 10
    assert len(list(generate(COMMUNES, 1_234, 1, today=TODAY))) == 1_234
    assert list(generate(COMMUNES, 0, 1, today=TODAY)) == []
    with pytest.raises(ValueError):
        list(generate([], 10, 1, today=TODAY))


# ---- identifiers ------------------------------------------------------------------------------------


def test_cccd_agrees_with_sex_and_birth_year_and_is_unique():
    sample = list(generate(COMMUNES, 20_000, 99, today=TODAY))
    cards = [p.cccd for p in sample if p.cccd is not None]
    assert len(cards) == len(set(cards))
    for p in sample:
        if p.cccd is None:
            continue
        assert len(p.cccd) == 12 and p.cccd.isdigit(), p.cccd
        assert p.cccd[:3] in CCCD_PROVINCES
        century = (p.birth_year // 100 - 19) * 2 + (p.sex == "F")
        assert p.cccd[3] == str(century), (p.cccd, p.sex, p.birth_year)
        assert p.cccd[4:6] == f"{p.birth_year % 100:02d}", (p.cccd, p.birth_year)
    home = sum(c.startswith("012") for c in cards) / len(cards)
    assert 0.8 < home < 0.99


def test_some_people_have_no_cccd_more_often_children_and_the_elderly(people):
    none = [p for p in people if p.cccd is None]
    assert 0.05 < len(none) / len(people) < 0.11
    def rate(group):
        return sum(p.cccd is None for p in group) / len(group)
    children = [p for p in people if age_of(p) < 14]
    elderly = [p for p in people if age_of(p) >= 60]
    working = [p for p in people if 18 <= age_of(p) < 60]
    assert rate(children) > 2 * rate(working) and rate(elderly) > 2 * rate(working)


def test_phones_and_insurance_numbers_are_well_formed_unique_and_common(people):
    phones = [p.phone for p in people if p.phone]
    assert len(phones) == len(set(phones)) and all(PHONE_PREFIX.match(x) for x in phones)
    adults = [p for p in people if age_of(p) >= 18]
    assert 0.62 < sum(p.phone is not None for p in adults) / len(adults) < 0.78
    assert all(p.phone is None for p in people if age_of(p) < 14)
    cards = [p.insurance_number for p in people if p.insurance_number]
    assert len(cards) == len(set(cards)) and all(INSURANCE.match(x) for x in cards)
    assert 0.86 < len(cards) / len(people) < 0.94
    infants = [p for p in people if p.insurance_number and p.birth_date and age_of(p) < 6]
    assert infants and all(p.insurance_number.startswith("TE1") for p in infants)


# ---- population structure ---------------------------------------------------------------------------


def test_age_pyramid_is_young(people):
    ages = [age_of(p) for p in people]
    n = len(ages)
    assert 0.32 < sum(a < 15 for a in ages) / n < 0.38
    assert 0.045 < sum(a >= 60 for a in ages) / n < 0.075
    assert 23 <= statistics.median(ages) <= 26
    assert max(ages) <= 100 and min(ages) >= 0
    # a pyramid: each of the first three 5-year bands outnumbers 40–44, which outnumbers 55–59
    bands = Counter(a // 5 for a in ages)
    assert min(bands[0], bands[1], bands[2]) > bands[8] > bands[11]
    assert all(p.birth_date is None or p.birth_date <= TODAY for p in people)


def test_sex_ratio_is_about_102_men_per_100_women(people):
    men = sum(p.sex == "M" for p in people)
    assert {p.sex for p in people} == {"M", "F"}
    assert 0.99 < men / (len(people) - men) < 1.05


def test_ethnic_shares_follow_the_province(people):
    counts = Counter(p.ethnicity for p in people)
    assert set(counts) <= set(ETHNICITY_NAMES)
    n = len(people)
    for code, share in ETHNIC_SHARES.items():
        assert abs(counts[code] / n - share) < max(0.015, 0.25 * share), (ETHNICITY_NAMES[code], counts[code] / n)
    assert counts.most_common(2)[0][0] == MONG and counts.most_common(2)[1][0] == "03"


def test_people_spread_over_communes_by_weight(people):
    per_commune = Counter(p.commune_code for p in people)
    assert set(per_commune) == {c.code for c in COMMUNES}
    ward = per_commune["03388"] / len(people)
    commune = per_commune["03445"] / len(people)
    total = sum(c.weight for c in COMMUNES)
    assert abs(ward - 3.5 / total) < 0.015 and abs(commune - 1 / total) < 0.006


def test_households_live_together_and_mostly_share_an_ethnicity(people):
    households: dict[str, list[SyntheticPerson]] = defaultdict(list)
    for p in people:
        households[p.household_key].append(p)
    last = people[-1].household_key
    sizes = Counter(len(members) for key, members in households.items() if key != last)
    assert set(sizes) <= set(range(3, 8)) and len(sizes) == 5
    assert 4.0 < sum(k * v for k, v in sizes.items()) / sum(sizes.values()) < 5.5
    same_ethnicity = 0
    male_heads = 0
    for members in households.values():
        head = members[0]
        assert head.is_household_head and not any(p.is_household_head for p in members[1:])
        assert len({(p.commune_code, p.village) for p in members}) == 1
        assert age_of(head) >= 18
        male_heads += head.sex == "M"
        same_ethnicity += sum(p.ethnicity == head.ethnicity for p in members)
    assert same_ethnicity / len(people) > 0.95
    assert male_heads / len(households) > 0.8


def test_children_carry_their_fathers_surname(people):
    households: dict[str, list[SyntheticPerson]] = defaultdict(list)
    for p in people:
        households[p.household_key].append(p)
    checked = 0
    for members in households.values():
        head = members[0]
        if head.sex != "M":
            continue
        for child in members[2:]:
            if age_of(child) < 15 and age_of(head) < 45:
                assert child.full_name.split()[0] == head.full_name.split()[0], (head.full_name, child.full_name)
                checked += 1
    assert checked > 5_000


def test_year_only_births_have_no_date_and_are_commoner_among_the_elderly(people):
    year_only = [p for p in people if p.birth_date is None]
    assert 0.03 < len(year_only) / len(people) < 0.07
    assert all(1900 < p.birth_year <= TODAY.year for p in year_only)
    elderly = [p for p in people if age_of(p) >= 60]
    assert 0.18 < sum(p.birth_date is None for p in elderly) / len(elderly) < 0.32
    assert all(p.birth_year == p.birth_date.year for p in people if p.birth_date)


def test_chronic_conditions_rise_with_age_and_pregnancy_fits(people):
    assert all(set(p.chronic_conditions) <= set(CONDITIONS) for p in people)
    assert all(len(set(p.chronic_conditions)) == len(p.chronic_conditions) for p in people)
    elderly = [p for p in people if age_of(p) >= 60]
    young = [p for p in people if age_of(p) < 30]
    htn_old = sum("hypertension" in p.chronic_conditions for p in elderly) / len(elderly)
    htn_young = sum("hypertension" in p.chronic_conditions for p in young) / len(young)
    assert 0.18 < htn_old < 0.33 and htn_young < 0.03
    pregnant = [p for p in people if p.pregnant]
    assert all(p.sex == "F" and 18 <= age_of(p) <= 45 for p in pregnant)
    assert all(TODAY < p.expected_delivery <= TODAY + timedelta(days=280) for p in pregnant)
    assert all(p.expected_delivery is None for p in people if not p.pregnant)
    women = [p for p in people if p.sex == "F" and 18 <= age_of(p) <= 45]
    assert 0.025 < len(pregnant) / len(women) < 0.06
    assert 0.008 < sum(bool(p.disability) for p in people) / len(people) < 0.025


def test_names_are_nfc_and_follow_each_groups_pattern(people):
    assert all(unicodedata.normalize("NFC", p.full_name) == p.full_name for p in people)
    assert all(len(p.full_name.split()) >= 3 for p in people)
    mong_men = [p.full_name.split() for p in people if p.ethnicity == MONG and p.sex == "M"]
    mong_women = [p.full_name.split() for p in people if p.ethnicity == MONG and p.sex == "F"]
    assert sum(words[1] == "A" for words in mong_men) / len(mong_men) > 0.5
    assert all(words[1] in {"Thị", "Mí"} for words in mong_women)
    clans = {"Giàng", "Sùng", "Lý", "Vàng", "Thào", "Hạng", "Lầu", "Mùa", "Tẩn", "Chảo"}
    assert sum(words[0] in clans for words in mong_men) / len(mong_men) > 0.8
    thai_men = [p.full_name.split() for p in people if p.ethnicity == "03" and p.sex == "M"]
    assert sum(words[1] == "Văn" for words in thai_men) / len(thai_men) > 0.8
    kinh = [p.full_name.split()[0] for p in people if p.ethnicity == "01"]
    assert Counter(kinh).most_common(1)[0][0] == "Nguyễn"
    assert len({p.full_name for p in people}) > 0.3 * len(people)


def test_villages_are_per_commune_and_deterministic():
    ward, commune = COMMUNES[0], COMMUNES[11]
    for c in COMMUNES:
        names = village_names(c, 5)
        assert 8 <= len(names) <= 25 and len(set(names)) == len(names)
        assert all(re.match(r"^(Bản|Thôn|Tổ dân phố) \S", name) for name in names), names
        assert all(unicodedata.normalize("NFC", name) == name for name in names)
    assert village_names(commune, 5) == village_names(commune, 5) != village_names(commune, 6)
    assert sum(name.startswith("Tổ dân phố") for name in village_names(ward, 5)) >= len(village_names(ward, 5)) / 2
    assert not any(name.startswith("Tổ dân phố") for name in village_names(commune, 5))
    assert all(code in ETHNICITY_NAMES for _, code, _ in village_plan(commune, 5))


def test_people_live_in_their_communes_villages(people):
    allowed = {c.code: set(village_names(c, 2022)) for c in COMMUNES}
    assert all(p.village in allowed[p.commune_code] for p in people)


# ---- spreadsheet form -------------------------------------------------------------------------------


def test_to_row_gives_what_a_commune_types(people):
    dated = next(p for p in people if p.birth_date and p.cccd and p.phone and p.sex == "F")
    row = to_row(dated)
    assert tuple(row) == CSV_HEADERS
    assert row["Ngày sinh"] == dated.birth_date.strftime("%d/%m/%Y")
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", row["Ngày sinh"])
    assert row["Giới tính"] == "Nữ" and row["Số CCCD"] == dated.cccd and row["SĐT"] == dated.phone
    assert row["Dân tộc"] == ETHNICITY_NAMES[dated.ethnicity]
    assert row["Xã/phường"] == next(c.name for c in COMMUNES if c.code == dated.commune_code)
    assert row["Thôn/bản"] == dated.village and row["Họ và tên"] == dated.full_name
    year_only = next(p for p in people if p.birth_date is None and p.cccd is None and p.sex == "M")
    row = to_row(year_only)
    assert row["Ngày sinh"] == str(year_only.birth_year) and row["Giới tính"] == "Nam" and row["Số CCCD"] == ""


def test_write_csv_streams_rows_with_vietnamese_headers(tmp_path, people):
    path = tmp_path / "dan_so.csv"
    count = write_csv(path, iter(people[:500]))
    assert count == 500
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # utf-8-sig: Excel opens it with the right characters
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_HEADERS and len(rows) == 500
    assert rows == [to_row(p) for p in people[:500]]
