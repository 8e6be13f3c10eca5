"""A deterministic synthetic population for a province (demo data and benchmarks).

Pure Python, no ORM: `generate` receives the communes as data and yields people household by household.
The same (communes, n, seed, today) always gives the same sequence, and a shorter run is a prefix of a
longer one. Memory does not grow with n: uniqueness of CCCD, phone and insurance numbers comes from
keyed permutations of per-prefix counters, not from sets of the numbers already issued.

The population is modelled on Lai Châu (2019 census): a young age pyramid (about 35% under 15, 6% aged
60+, median about 24), slightly more men than women, and the province's ethnic mix, with names,
villages and identifiers in the forms a commune health station writes them in its spreadsheets.
"""

from __future__ import annotations

import csv
import unicodedata
from bisect import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from epicommand.core.text import fold

from .ethnicities import ETHNICITY_NAMES

KINH, THAI, MONG, DAO, GIAY, KHANG, HA_NHI, LU, MANG, CONG, SI_LA = (
    "01", "03", "08", "09", "25", "33", "35", "42", "45", "48", "50")

# Ethnic mix of Lai Châu (approximate percentages; they sum to more than 100 and are normalised below).
ETHNIC_MIX: dict[str, float] = {
    MONG: 40, THAI: 32, KINH: 14, DAO: 12, GIAY: 5, HA_NHI: 3, LU: 1.3, MANG: 0.8, CONG: 0.4, KHANG: 0.4, SI_LA: 0.2,
}
_TOTAL_MIX = sum(ETHNIC_MIX.values())
ETHNIC_SHARES: dict[str, float] = {code: weight / _TOTAL_MIX for code, weight in ETHNIC_MIX.items()}
# The mix of a ward's residential groups (tổ dân phố): mostly Kinh and Thái.
_URBAN_MIX = {KINH: 55, THAI: 20, MONG: 7, DAO: 5, GIAY: 8, LU: 2, HA_NHI: 1, KHANG: 1, MANG: 1}

CONDITIONS = ("diabetes", "hypertension", "heart", "lung", "kidney", "liver", "cancer", "immunosuppression",
              "obesity")
# Prevalence of each condition (order of CONDITIONS) by age band: <15, 15–29, 30–44, 45–59, 60+.
_PREVALENCE = (
    (0.0005, 0.001, 0.002, 0.010, 0.001, 0.002, 0.0003, 0.001, 0.010),
    (0.002, 0.010, 0.003, 0.010, 0.002, 0.015, 0.0008, 0.003, 0.015),
    (0.015, 0.060, 0.010, 0.015, 0.005, 0.030, 0.002, 0.004, 0.025),
    (0.050, 0.150, 0.030, 0.030, 0.010, 0.040, 0.006, 0.003, 0.030),
    (0.090, 0.260, 0.080, 0.080, 0.030, 0.040, 0.015, 0.002, 0.020),
)
DISABILITIES = ("Khuyết tật vận động", "Khiếm thị", "Khiếm thính", "Khuyết tật nghe, nói", "Khuyết tật trí tuệ",
                "Khuyết tật thần kinh, tâm thần")

HOME_PROVINCE = "012"
# Provinces of birth registration of people born outside Lai Châu, with weights. CCCD numbers carry the codes of
# the 63-province list (Điện Biên 011, Lào Cai 010, Sơn La 014, Yên Bái 015, Thái Bình 034 …): cards keep them.
_OTHER_PROVINCES = (("011", 20), ("010", 12), ("014", 10), ("015", 6), ("001", 8), ("022", 4), ("030", 6),
                    ("034", 8), ("036", 8), ("037", 6), ("038", 8), ("025", 4))
# Mobile prefixes (Viettel dominates in the mountains), with weights.
_PHONE_PREFIXES = (("086", 6), ("096", 9), ("097", 10), ("098", 9), ("032", 5), ("033", 5), ("034", 5),
                   ("035", 5), ("036", 5), ("037", 5), ("038", 5), ("039", 5), ("088", 3), ("091", 3),
                   ("094", 3), ("081", 1), ("082", 1), ("083", 1), ("084", 1), ("085", 1), ("089", 1),
                   ("090", 1), ("093", 1), ("070", 1), ("076", 1), ("077", 1), ("078", 1), ("079", 1),
                   ("056", 1), ("058", 1), ("059", 1), ("092", 1), ("099", 1))

CSV_HEADERS = ("Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số thẻ BHYT", "SĐT", "Dân tộc", "Thôn/bản",
               "Xã/phường", "Nghề nghiệp")


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    weight: float  # relative population
    kind: str = ""  # "Xã", "Phường" or "Đặc khu"; a name starting with "Phường" also marks a ward


@dataclass(slots=True)
class SyntheticPerson:
    key: str
    full_name: str
    sex: str
    birth_date: date | None
    birth_year: int
    ethnicity: str
    cccd: str | None
    insurance_number: str | None
    phone: str | None
    commune_code: str
    village: str
    household_key: str
    is_household_head: bool
    occupation: str
    chronic_conditions: list[str]
    pregnant: bool
    expected_delivery: date | None
    disability: str
    commune_name: str = ""


# ---- names ------------------------------------------------------------------------------------------


def _nfc(words: str) -> tuple[str, ...]:
    return tuple(unicodedata.normalize("NFC", w) for w in words.split())


def _weighted(*pairs: tuple[str, int]) -> tuple[str, ...]:
    """A tuple in which each name occurs `weight` times, so that a uniform pick is a weighted pick."""
    return tuple(unicodedata.normalize("NFC", name) for name, weight in pairs for _ in range(weight))


@dataclass(frozen=True)
class _Naming:
    surnames: tuple[str, ...]
    male_middles: tuple[str, ...]
    female_middles: tuple[str, ...]
    male_given: tuple[str, ...]
    female_given: tuple[str, ...]
    exogamous: bool = False  # a wife is of another clan (surname) than her husband
    modern: float = 0.0  # share of people born since 2000 given a Kinh-style given name (less before)
    compound: float = 0.0  # share of those (and of all Kinh) with a second middle name: "Lò Thị Thu Hà"


_KINH_MALE = _nfc("Hùng Anh Dũng Tuấn Hải Nam Long Thắng Sơn Cường Hiếu Huy Khánh Phong Quân Trung Tùng Bình Đạt "
                  "Việt Hoàng Thành Kiên Duy Toàn Hưng Lâm Tâm Nghĩa Phúc Quang Thịnh Vinh Hiệp Tú Lực Đức Minh")
_KINH_FEMALE = _nfc("Lan Hương Hoa Mai Hằng Hà Thảo Linh Trang Huyền Ngọc Yến Nga Thủy Phương Dung Loan Oanh Vân "
                    "Nhung Hạnh Giang Anh Chi Liên Thu Hiền Lệ Tuyết Quyên Ly Nhàn Thơm Xuân Hồng Vy Nhi")

_SECOND_MALE = _nfc("Minh Đức Quốc Anh Hữu Thành Tuấn Hoàng Ngọc Trung Gia Bảo Duy Hải Công Tiến")
_SECOND_FEMALE = _nfc("Thu Thanh Ngọc Minh Phương Thùy Hồng Kim Mai Hải Khánh Bích Diệu Hoài Thảo Bảo")

NAMINGS: dict[str, _Naming] = {
    KINH: _Naming(
        _weighted(("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Vũ", 4), ("Đặng", 2),
                  ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1), ("Đinh", 1), ("Hà", 1),
                  ("Lương", 1), ("Trịnh", 1), ("Đào", 1), ("Phan", 1)),
        _weighted(("Văn", 40), ("Đức", 10), ("Minh", 10), ("Quang", 6), ("Hữu", 6), ("Công", 5), ("Xuân", 5),
                  ("Thanh", 5), ("Tiến", 3), ("Mạnh", 3), ("Ngọc", 3), ("Trọng", 3), ("Việt", 2)),
        _weighted(("Thị", 55), ("Thu", 6), ("Thanh", 5), ("Ngọc", 6), ("Minh", 5), ("Phương", 4), ("Thùy", 4),
                  ("Hồng", 4), ("Kim", 3), ("Bảo", 2), ("Khánh", 2), ("Mai", 2)),
        _KINH_MALE, _KINH_FEMALE, compound=0.3),
    MONG: _Naming(
        _weighted(("Giàng", 15), ("Sùng", 12), ("Vàng", 12), ("Lý", 10), ("Thào", 10), ("Hạng", 6), ("Lầu", 6),
                  ("Mùa", 6), ("Hầu", 4), ("Cứ", 4), ("Tẩn", 3), ("Chảo", 2), ("Lò", 2), ("Má", 2)),
        _weighted(("A", 7), ("Seo", 2), ("Văn", 1)),
        _weighted(("Thị", 7), ("Mí", 3)),
        _nfc("Dế Chư Lử Páo Sử Chá Sình Tủa Lồng Chứ Dìa Súa Pó Dình Kỷ Phừ Sếnh Chống Nhè Tráng Xá Chính "
             "Lềnh Pao Khua Cở Dùa Nủ Vư Tồng Dơ Nhìa Dua Giàng Lầu Sàng Thái Dính Sáy Nhà Chìa Pùa Hờ Cháng Tú Lù "
             "Của Mua Dê Chu Thề Mang Sang Vảng Lình Sỉ Tỉa Sơ Chò Thàng Chu Dủa Tếnh Mỉ Vừ Chua Khá Nhù Sùng"),
        _nfc("Mỷ Pà Dợ Mai Súa Chở Dua Sua Mỵ Ly Xo Chá Dính Pằng Chía Ca Sinh Say Máy Dở Vá Dê Nhìa Lỳ Do "
             "Mỉ Chư Sú Chi Sông Xúa Vả Dia Mua Pàng Cu Kía Tồng Hoa Nu Dinh Cở Thào Xua Chua Sáy Ná Dầu Lử "
             "Tráng Cấu Nhè Mây Lia Váng Dú Pàng Sở Chía Cha Ly Dế Mỵ"),
        exogamous=True, modern=0.3, compound=0.1),
    THAI: _Naming(
        _weighted(("Lò", 20), ("Tòng", 10), ("Lường", 10), ("Cầm", 8), ("Quàng", 8), ("Điêu", 6), ("Hoàng", 6),
                  ("Vì", 5), ("Lù", 5), ("Mè", 3), ("Lê", 3), ("Bạc", 3), ("Kha", 2), ("Tao", 2)),
        _weighted(("Văn", 19), ("Minh", 1)),
        _weighted(("Thị", 1),),
        _nfc("Thắng Ánh Sơn Ương Xôm Pánh Biên Inh Chiến Nhất Dưởng Khăm Ban Duẩn Hom Panh Xiêng Thanh Tuấn "
             "Chinh Thoan Ón Hặc Phóng Lả Hụn Tiến Ngoan Thiết Hưởng Quyết Lún Dũng Hương Phanh Thoản Nghiêm Khụt "
             "Ọt Chum Hịa Pâng Hải Tiệp Vinh Hoàng Đôi Lượng Hiến Minh Nọi Thiện Tuân Phương Quý Hùng Ngọc Bình"),
        _nfc("Ưng Hoa Xuân Én Ơn Lả Xôm Hương Thoa Ún Phanh Sương Khuyên Lanh Hiên Nhiên Mai Thu Bun Ín Pọm "
             "Ngoan Ơi Ngân Xiêng Ỏm Hồng Lan Duyên Thơm Nhung Phương Chi Nga Dung Thảo Oanh Thanh Vân Cúc Đào "
             "Mận Phấy Liên Lơi Ọi Sen Nhàn Hằng Hiền Hoài Ly Tâm"),
        modern=0.5, compound=0.5),
    DAO: _Naming(
        _weighted(("Tẩn", 20), ("Chảo", 18), ("Lý", 16), ("Phàn", 14), ("Đặng", 8), ("Triệu", 8), ("Bàn", 6),
                  ("Sần", 4), ("Lò", 3)),
        _weighted(("Láo", 5), ("Văn", 3), ("Vần", 1), ("Quẩy", 1)),
        _weighted(("Mý", 5), ("Thị", 4), ("Mẩy", 1)),
        _nfc("Lở San Chỉn Phin Vảng Sinh Tả Kiềm Quẩy Sành Chòi Phù Vần Táy Sếnh Lẻng Pạo Chài Phầy Nải Dao "
             "Chiêu Lìn Ton Tòn Mềnh Pham Phu Dìn Quyên Kiên Sơn Tòng Dào Lìu Mùi Tiến Vàng Chản Lai Hin Pao Sáng"),
        _nfc("Chiêu Mẩy Sai Dủn Xuân Phấy Slày Chài Nải Chạn Kiều Mai Phây Tả Lao Sành Liều Dào Xoan Mùi Sìu Dần "
             "Hoa Phin Sinh Lìu Liên Dình Niên Thao Dung Hà Chiềng Sỉnh"),
        exogamous=True, modern=0.25, compound=0.1),
    HA_NHI: _Naming(
        _weighted(("Pờ", 16), ("Lỳ", 16), ("Chu", 14), ("Lò", 10), ("Phạ", 8), ("Sừng", 6), ("Lý", 6), ("Ly", 4),
                  ("Hù", 4), ("Chang", 3)),
        _weighted(("Lò", 3), ("Chà", 3), ("Xá", 2), ("Hừ", 2), ("Gạ", 1), ("Phì", 1), ("Mò", 1), ("Khừ", 1),
                  ("Văn", 3)),
        _weighted(("Thị", 6), ("Mé", 1), ("Xó", 1), ("Gó", 1)),
        _nfc("Xá Chừ Phạ Lừ Chà Hừ Khó Gừ Chè Xè Mạ Phù Hù Sừ Pa Chờ Giờ Xó Mò Pá Hờ Phì Ché Xé Gạ Nhù Chu Pơ Lờ "
             "Phà Sạ Pé Dế Thé Khừ Cà"),
        _nfc("Mé Xe Nhù Mơ Chè Gó Sú Pạ Dê Mý Phì Xừ Mờ Chà Lé Gừ Xó Pu Xà Khừ Thơ Mò Nhè Chừ Hà Ú"),
        exogamous=True, modern=0.25, compound=0.1),
    GIAY: _Naming(
        _weighted(("Hoàng", 20), ("Lò", 15), ("Lù", 12), ("Vàng", 10), ("Sần", 8), ("Giàng", 5), ("Lồ", 5),
                  ("Lục", 5), ("Vương", 5), ("Lý", 5)),
        _weighted(("Văn", 1),),
        _weighted(("Thị", 1),),
        _nfc("Pao Chải Sinh Mà Dìn Chiến Chinh Tăng Phấn Sềnh Thái Hồng Tỉnh Chỉnh Pằng Sáng Quyết Liềm Chẩn Quang "
             "Thành Tiến Sơn Hưng Hùng Dũng Thịnh Khếnh Lìn Thàng Chẩu"),
        _nfc("Dung Xuân Sỏi Mai Hương Xim Nhì Chín Dín Lan Pà Sinh Vân Lả Mỷ Thu Thủy Hoa Hạnh Lìn Phương Lụa Tâm "
             "Nhung"),
        modern=0.4, compound=0.4),
    LU: _Naming(
        _weighted(("Lò", 30), ("Tao", 20), ("Vàng", 10), ("Tòng", 10), ("Lường", 10), ("Pha", 5)),
        _weighted(("Văn", 1),),
        _weighted(("Thị", 1),),
        _nfc("Khăm Ọi Kiên Phăn Xiêng Ngọc Ẩm Pọm Khiêm Sơn Thoản Pánh Lả Ánh"),
        _nfc("Ón Xiêng Pọm Bun Ngân Ín Phăn Xuân Ơn Mai Duyên"),
        modern=0.3, compound=0.3),
    SI_LA: _Naming(
        _weighted(("Hù", 30), ("Lỳ", 20), ("Pờ", 15), ("Vàng", 10), ("Lò", 10)),
        _weighted(("Văn", 3), ("A", 1)),
        _weighted(("Thị", 1),),
        _nfc("Sí Chà Pạ Phù Nhừ Chừ Xá Lừ Khừ Mò Sán"),
        _nfc("Mé Tú Xo Chừ Mơ Xé Dé Mý"),
        modern=0.3, compound=0.3),
    MANG: _Naming(
        _weighted(("Lò", 30), ("Chang", 20), ("Vàng", 15), ("Tao", 10), ("Lý", 10)),
        _weighted(("Văn", 1),),
        _weighted(("Thị", 1),),
        _nfc("Thôn Sếnh Pó Khăm Toan Xuân Páo Sáng Ím Sủ Phếnh"),
        _nfc("Mai Sơ Phấy Bun Xoa Inh Pọm Ún Mơ"),
        modern=0.3, compound=0.3),
    CONG: _Naming(
        _weighted(("Chang", 30), ("Pờ", 25), ("Lò", 15), ("Hoàng", 10), ("Vàng", 10)),
        _weighted(("Văn", 1),),
        _weighted(("Thị", 1),),
        _nfc("Dỉnh Sắm Khăm Cặp Bính Chớ Pù Lả Sinh Ngậu"),
        _nfc("Mai Đun Bình Dạng Xuân Phấy Khiếu"),
        modern=0.3, compound=0.3),
    KHANG: _Naming(
        _weighted(("Lò", 30), ("Cà", 25), ("Quàng", 15), ("Lường", 15), ("Vì", 10)),
        _weighted(("Văn", 1),),
        _weighted(("Thị", 1),),
        _nfc("Pản Xiêng Khum Ón Thoan Bun Inh Ban Phăn Hưởng"),
        _nfc("Ún Pọm Ơn Ín Phương Ngoan Xuân"),
        modern=0.3, compound=0.3),
}

# ---- villages ---------------------------------------------------------------------------------------

_TAI_FIRST = _nfc("Nà Nậm Hua Huổi Phiêng Pá Noong Co Pắc Bó Mường Tà Na Khau Ten Nậm Nà Phiêng Huổi")
_TAI_SECOND = _nfc("Củm Cang Bon Sài Mô Then Khum Ít Ban Ngà Chăn Lằn Pầu Luông Đông Sẳng Kim Ươi Hỏm Tăm Bó "
                   "Hày Lào Ngoang Mì Sẳm Khương Mạ Cóc Đon Bum Hon Phát Ún Pe Sa Hương Nọi")
_HMONG_FIRST = _nfc("Sì Sin Lao Phìn Tả Sáng Chù Mù Sà Hồ Làng Can Xà Ma Séo Thèn Chu Pa Sùng Ló Hồng Lùng Cò "
                    "Giàng Sán Sù Xin Tủa")
_HMONG_SECOND = _nfc("Chải Hồ Phìn Thàng Sin Lử Va Phình Pao Lìn Tẩn Giàng Sử Thầu Dề Ly Sáng Chồ Pho Câu Páo "
                     "Chứ Tà Mìn Sang Chư Suối Lềnh")
_HMONG_THIRD = _nfc("Chải Phìn Hồ Thàng Sử")
_TIBETO_FIRST = _nfc("Pa Mù Tá Xà Ló Hà Ma Phìn Pờ Sang Nhóm Khoang Gò Lê Nậm Phí")
_TIBETO_SECOND = _nfc("Ủ Cả Pạ Xe Hồ Na Phạ Lò Khố Sì Pố Ma Xá Lé Khao Dính Xin Hà Lù")
_THON = _nfc("Tân_Bình Đoàn_Kết Hợp_Nhất Tiến_Bộ Đông_Pao Thống_Nhất Tân_Hợp Hưng_Phong Tân_Lập Bình_Minh "
             "Hòa_Bình Quyết_Tiến Thắng_Lợi Tân_Tiến Tân_Sơn Hưng_Bình Trung_Tâm Tân_Hồng Hòa_Thuận Sơn_Bình "
             "Tân_Phú Gia_Khâu Phúc_Khoa Tân_Cương Mới")

_STYLE = {MONG: "hmong", DAO: "hmong", GIAY: "hmong", THAI: "tai", LU: "tai", KHANG: "tai", MANG: "tai",
          HA_NHI: "tibeto", SI_LA: "tibeto", CONG: "tibeto", KINH: "thon"}

# Relative affinity of groups to communes of Lai Châu (folded short names): where each group mostly lives.
_AFFINITY_AREAS: tuple[tuple[frozenset[str], dict[str, float]], ...] = (
    (frozenset({"muong te"}), {THAI: 2, HA_NHI: 5, SI_LA: 12, CONG: 10, KINH: 1.5, MONG: 0.5}),
    (frozenset({"pa u", "thu lum", "mu ca", "ta tong"}), {HA_NHI: 12, SI_LA: 5, MONG: 1, THAI: 0.5}),
    (frozenset({"bum to", "bum nua", "hua bum"}), {HA_NHI: 3, CONG: 10, MANG: 4, DAO: 1.5}),
    (frozenset({"nam hang", "muong mo", "le loi", "pa tan"}), {MANG: 10, CONG: 4, KHANG: 8, THAI: 1.5}),
    (frozenset({"than uyen", "tan uyen", "muong khoa", "nam so", "pac ta", "muong than", "muong kim",
                "khoen on"}), {THAI: 2.5, KINH: 1.5, KHANG: 2, MONG: 0.7}),
    (frozenset({"binh lu", "ban bo", "khun ha"}), {LU: 8, GIAY: 3}),
    (frozenset({"phong tho", "si lo lau", "dao san", "khong lao", "sin suoi ho"}), {DAO: 2.5, GIAY: 2.5, MONG: 1.3}),
    (frozenset({"sin ho", "hong thu", "nam tam", "tua sin chai", "pu sam cap", "nam ma", "nam cuoi", "ta leng"}),
     {MONG: 2, DAO: 1.5}),
)
_KIND_PREFIXES = ("xa ", "phuong ", "dac khu ", "thi tran ")


def _short_folded(name: str) -> str:
    folded = fold(name)
    for prefix in _KIND_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def is_ward(commune: Commune) -> bool:
    return fold(commune.kind) == "phuong" or fold(commune.name).startswith("phuong ")


def _cumulative(weights: Iterable[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _commune_mix(commune: Commune) -> dict[str, float]:
    short = _short_folded(commune.name)
    mix = dict(ETHNIC_SHARES)
    for names, factors in _AFFINITY_AREAS:
        if short in names:
            for code, factor in factors.items():
                mix[code] *= factor
    return mix


def _pick_weighted(rng: Random, mix: dict[str, float]) -> str:
    codes = list(mix)
    cum = _cumulative(mix[c] for c in codes)
    return codes[min(bisect(cum, rng.random() * cum[-1]), len(codes) - 1)]


def _village_name(rng: Random, style: str) -> str:
    r = rng.random
    if style == "thon":
        return "Thôn " + _THON[int(r() * len(_THON))].replace("_", " ")
    if style == "tai":
        return f"Bản {_TAI_FIRST[int(r() * len(_TAI_FIRST))]} {_TAI_SECOND[int(r() * len(_TAI_SECOND))]}"
    if style == "tibeto":
        return f"Bản {_TIBETO_FIRST[int(r() * len(_TIBETO_FIRST))]} {_TIBETO_SECOND[int(r() * len(_TIBETO_SECOND))]}"
    words = [_HMONG_FIRST[int(r() * len(_HMONG_FIRST))], _HMONG_SECOND[int(r() * len(_HMONG_SECOND))]]
    if r() < 0.2:
        words.append(_HMONG_THIRD[int(r() * len(_HMONG_THIRD))])
    prefix = "Thôn" if r() < 0.15 else "Bản"
    return f"{prefix} {' '.join(words)}"


def village_plan(commune: Commune, seed: int) -> list[tuple[str, str, float]]:
    """The villages of a commune as (name, main ethnic group, relative size): 8–25 of them, a function of the
    commune (code and name) and the seed only. A ward's are mostly numbered "Tổ dân phố"."""
    rng = Random(f"villages:{seed}:{commune.code}:{fold(commune.name)}")
    count = rng.randint(8, 25)
    ward = is_ward(commune)
    rural_mix = _commune_mix(commune)
    plan: list[tuple[str, str, float]] = []
    names: set[str] = set()
    street_blocks = round(count * rng.uniform(0.6, 0.85)) if ward else 0
    for number in range(1, street_blocks + 1):
        name = f"Tổ dân phố {number}"
        names.add(name)
        plan.append((name, _pick_weighted(rng, _URBAN_MIX), rng.uniform(0.6, 1.4)))
    while len(plan) < count:
        ethnicity = _pick_weighted(rng, rural_mix)
        for _ in range(20):
            name = _village_name(rng, _STYLE[ethnicity])
            if name not in names:
                break
        else:
            name = f"{name} {len(plan) + 1}"
        names.add(name)
        plan.append((name, ethnicity, rng.uniform(0.5, 1.5)))
    return plan


def village_names(commune: Commune, seed: int) -> list[str]:
    return [name for name, _, _ in village_plan(commune, seed)]


# ---- unique numbers ---------------------------------------------------------------------------------


def _round_keys(*parts: int) -> tuple[int, int, int, int]:
    x = 0x9E3779B97F4A7C15
    keys = []
    for i in range(4):
        for p in (*parts, i):
            x = ((x ^ (p & 0xFFFFFFFFFFFF)) * 0x100000001B3 + 0x632BE59BD9B4E019) & 0xFFFFFFFFFFFFFFFF
        keys.append(x >> 20)
    return tuple(keys)  # type: ignore[return-value]


def _permute(x: int, a: int, b: int, keys: tuple[int, int, int, int]) -> int:
    """A keyed bijection of range(a*b): a four-round Feistel network over the mixed radix a×b."""
    k0, k1, k2, k3 = keys
    left, right = divmod(x, b)
    left, right = right, (left + (((right + k0) * 0x9E3779B1 >> 11) ^ k0)) % a
    left, right = right, (left + (((right + k1) * 0x9E3779B1 >> 11) ^ k1)) % b
    left, right = right, (left + (((right + k2) * 0x9E3779B1 >> 11) ^ k2)) % a
    left, right = right, (left + (((right + k3) * 0x9E3779B1 >> 11) ^ k3)) % b
    return left * b + right


class _Counters:
    """Sequential numbers per prefix, permuted: unique within the prefix, random-looking, O(prefixes) memory."""

    __slots__ = ("seed", "salt", "a", "b", "state")

    def __init__(self, seed: int, salt: int, a: int, b: int) -> None:
        self.seed, self.salt, self.a, self.b = seed, salt, a, b
        self.state: dict[int, list] = {}  # prefix -> [numbers issued, round keys]

    def next(self, prefix: int) -> int:
        state = self.state.get(prefix)
        if state is None:
            state = self.state[prefix] = [0, _round_keys(self.seed, self.salt, prefix)]
        n = state[0]
        if n >= self.a * self.b:
            raise OverflowError(f"more than {self.a * self.b} numbers under prefix {prefix}")
        state[0] = n + 1
        return _permute(n, self.a, self.b, state[1])


# ---- households -------------------------------------------------------------------------------------

# Age pyramid of Lai Châu (2019 census, rounded), in 5-year bands 0–4 … 80–84 and 85+ (to 99): about 34% under
# 15, 6% aged 60+, median about 24.
AGE_PYRAMID = (11.6, 11.7, 11.2, 8.4, 8.0, 9.3, 8.8, 7.2, 5.8, 4.7, 4.0, 3.0, 2.3, 1.5, 1.0, 0.7, 0.4, 0.2)
MALE_SHARE = 1.02 / 2.02  # sex ratio 1.02 men per woman
_OLDEST = 99
# Children wanted by a couple, by ethnic group (a uniform pick in the tuple).
_KIDS = {KINH: (1, 1, 2, 2, 2, 2, 2, 2, 3, 3)}
_KIDS_HIGHLAND = (1, 2, 2, 3, 3, 3, 4, 4, 5, 5)
_KIDS_DEFAULT = (1, 1, 2, 2, 2, 3, 3, 3, 4, 5)
_HIGHLAND = (MONG, DAO, HA_NHI, SI_LA, CONG, MANG)
# Household types: young couple, middle-aged couple, three generations, mother alone with children. The share
# of three-generation households follows the running share of the elderly.
_P_YOUNG, _P_MIDDLE, _P_MOTHER = 0.55, 0.27, 0.07
_P_STEM_LOW, _P_STEM_HIGH = 0.05, 0.25
_P_GRANDPARENT = 0.15


class _Ages:
    """Draws ages inside the window a family allows (a wife's age near her husband's, children born to a mother
    aged 17–42 …), preferring the bands of the pyramid that are short so far: the structure stays realistic and
    the running age distribution follows AGE_PYRAMID closely, whatever n."""

    __slots__ = ("counts", "total", "targets", "rng", "elderly")

    def __init__(self, rng: Random) -> None:
        total = sum(AGE_PYRAMID)
        self.targets = [t / total for t in AGE_PYRAMID]
        self.counts = [0] * len(AGE_PYRAMID)
        self.total = 0
        self.elderly = 0
        self.rng = rng

    def draw(self, lo: int, hi: int) -> float:
        """An age (years, with fraction) in [lo, hi + 1)."""
        if lo < 0:
            lo = 0
        if hi > _OLDEST:
            hi = _OLDEST
        if hi < lo:
            hi = lo
        first, last = lo // 5, hi // 5
        if last > 17:
            last = 17
        r = self.rng.random
        if first == last:
            band = first
        else:
            horizon = self.total + 6
            targets, counts = self.targets, self.counts
            weights, cum = [], 0.0
            for band in range(first, last + 1):
                start = band * 5
                end = start + 4 if band < 17 else _OLDEST
                overlap = (hi if hi < end else end) - (lo if lo > start else start) + 1
                target = targets[band]
                deficit = target * horizon - counts[band]
                cum += ((deficit if deficit > 0 else 0.0) + target) * overlap / (end - start + 1)
                weights.append(cum)
            band = first + bisect(weights, r() * cum)
            if band > last:
                band = last
        start = band * 5
        end = start + 4 if band < 17 else _OLDEST
        if lo > start:
            start = lo
        if hi < end:
            end = hi
        age = start + int(r() * (end - start + 1))
        self.counts[band] += 1
        self.total += 1
        if age >= 60:
            self.elderly += 1
        return age + r()


# A household member before its details are drawn: (sex, age in years with fraction, lineage, role)
# lineage: "L" carries the household's family surname, "O" has a surname of its own (wife, mother-in-law).
_Member = tuple[str, float, str, str]


class _Generator:
    def __init__(self, communes: list[Commune], seed: int, today: date) -> None:
        if not communes:
            raise ValueError("no communes")
        if any(c.weight < 0 for c in communes) or sum(c.weight for c in communes) <= 0:
            raise ValueError("commune weights must be non-negative and not all zero")
        self.seed = seed
        self.today = today
        self.today_ord = today.toordinal()
        self.rng = Random(seed)
        self.communes = list(communes)
        self.commune_cum = _cumulative(c.weight for c in communes)
        self.plans = [village_plan(c, seed) for c in communes]
        self.village_cum = [_cumulative(w for _, _, w in plan) for plan in self.plans]
        self.wards = [is_ward(c) for c in communes]
        self.ethnic_codes = list(ETHNIC_SHARES)
        self.ethnic_targets = [ETHNIC_SHARES[c] for c in self.ethnic_codes]
        self.ethnic_counts = [0] * len(self.ethnic_codes)
        self.people = 0
        self.ages = _Ages(self.rng)
        self.ages_elderly_target = sum(self.ages.targets[12:])
        self.males = 0
        self.loyalty = self._loyalty()
        self.cccd = _Counters(seed, 1, 1000, 1000)
        self.phones = _Counters(seed, 2, 1000, 10000)
        self.insurance = _Counters(seed, 3, 10000, 10000)
        self.phone_prefixes = _weighted(*_PHONE_PREFIXES)
        self.other_provinces = _weighted(*_OTHER_PROVINCES)
        self.mix_cum = _cumulative(self.ethnic_targets)
        self.cond = [self._condition_table(p) for p in _PREVALENCE]

    # How often a household belongs to its village's main group, per group. The other households are drawn to
    # steer the running ethnic shares to the province's mix; the loyalty is low enough that the villages' main
    # groups alone never exceed a group's target share.
    def _loyalty(self) -> dict[str, float]:
        total = self.commune_cum[-1]
        dominant: dict[str, float] = {}
        for commune, plan, cum in zip(self.communes, self.plans, self.village_cum, strict=True):
            for _, code, w in plan:
                dominant[code] = dominant.get(code, 0.0) + commune.weight / total * w / cum[-1]
        return {code: min(0.85, 0.9 * ETHNIC_SHARES[code] / share) for code, share in dominant.items() if share > 0}

    @staticmethod
    def _condition_table(probabilities: tuple[float, ...]) -> tuple[float, list[float], list[float]]:
        """P(any condition), and for sequential exact sampling given at least one: P(i | none before i)."""
        tails, none_from = [], 1.0
        for p in reversed(probabilities):
            none_from *= 1 - p
            tails.append(1 - none_from)
        tails.reverse()
        conditional = [p / t if t else 0.0 for p, t in zip(probabilities, tails, strict=True)]
        return tails[0], list(probabilities), conditional

    def household_ethnicity(self, village_main: str, size_hint: int) -> str:
        if self.rng.random() < self.loyalty.get(village_main, 0.0):
            return village_main
        horizon = self.people + size_hint
        deficits = [max(t * horizon - c, 0.0) for t, c in zip(self.ethnic_targets, self.ethnic_counts, strict=True)]
        cum = _cumulative(deficits)
        if cum[-1] <= 0:
            cum = self.mix_cum
        i = bisect(cum, self.rng.random() * cum[-1])
        return self.ethnic_codes[min(i, len(cum) - 1)]

    def any_ethnicity(self) -> str:
        i = bisect(self.mix_cum, self.rng.random() * self.mix_cum[-1])
        return self.ethnic_codes[min(i, len(self.mix_cum) - 1)]

    def sex(self) -> str:
        """A child's sex: boys slightly more often, steered to the province's sex ratio."""
        male_share = self.males / self.ages.total if self.ages.total else MALE_SHARE
        sex = "M" if self.rng.random() < (0.56 if male_share < MALE_SHARE else 0.46) else "F"
        self.males += sex == "M"
        return sex

    def members(self, ethnicity: str) -> list[_Member]:
        """Sex, age and place in the family of each member of one household (head first)."""
        r = self.rng.random
        ages = self.ages
        draw = ages.draw
        kids_table = _KIDS.get(ethnicity) or (_KIDS_HIGHLAND if ethnicity in _HIGHLAND else _KIDS_DEFAULT)
        out: list[_Member] = []

        def adult(sex: str, lo: int, hi: int, lineage: str, role: str) -> float:
            age = draw(lo, hi)
            self.males += sex == "M"
            out.append((sex, age, lineage, role))
            return age

        def children(mother: float, wanted: int, oldest: int = 99) -> None:
            lo, hi = max(0, int(mother) - 42), min(int(mother) - 17, oldest)
            if hi < 0:
                return
            taken: list[int] = []
            born: list[_Member] = []
            for _ in range(min(wanted, 7 - len(out))):
                age = draw(lo, hi)
                if int(age) in taken and r() < 0.9:  # twins are rare: a year apart instead
                    age += 1 if age + 1 < hi + 1 and int(age) + 1 not in taken else -1 if age >= lo + 1 else 0
                taken.append(int(age))
                born.append((self.sex(), age, "L", "child"))
            born.sort(key=lambda member: -member[1])  # eldest first, as a family book lists them
            out.extend(born)

        elderly_short = ages.elderly < self.ages_elderly_target * (ages.total + 4)
        p_stem = _P_STEM_HIGH if elderly_short else _P_STEM_LOW
        kind = r() * (_P_YOUNG + _P_MIDDLE + _P_MOTHER + p_stem)
        if kind < _P_YOUNG:  # young couple with children, sometimes a widowed parent of the head
            head = adult("M", 20, 44, "L", "head")
            wife = adult("F", max(17, int(head) - 8), min(int(head) + 2, 44), "O", "spouse")
            if head >= 30 and r() < _P_GRANDPARENT:
                if r() < 0.6:
                    adult("F", max(55, int(head) + 20), int(head) + 40, "O", "parent")
                else:
                    adult("M", max(55, int(head) + 20), int(head) + 40, "L", "parent")
            children(wife, kids_table[int(r() * 10)])
        elif kind < _P_YOUNG + _P_MIDDLE:  # middle-aged couple with their children still at home
            head = adult("M", 40, 59, "L", "head")
            wife = adult("F", max(32, int(head) - 8), min(int(head) + 2, 59), "O", "spouse")
            children(wife, kids_table[int(r() * 10)], oldest=24)
        elif kind < _P_YOUNG + _P_MIDDLE + _P_MOTHER:  # a widowed or divorced mother with her children
            head = adult("F", 24, 60, "O", "head")
            children(head, kids_table[int(r() * 10)], oldest=25)
        else:  # three generations: an older head, a married son, his wife and their children
            male_head = r() < 0.8
            if male_head:
                head = adult("M", 55, 95, "L", "head")
                if r() < 0.75:
                    adult("F", max(50, int(head) - 8), int(head) + 3, "O", "spouse")
            else:
                head = adult("F", 55, 95, "O", "head")
            son = adult("M", max(18, int(head) - 38), int(head) - 20, "L", "child")
            wife = adult("F", max(17, int(son) - 7), int(son) + 2, "O", "child_in_law")
            children(wife, kids_table[int(r() * 10)])
        while len(out) < 3:  # a household of 3 at least: one more child
            mother = next((age for sex, age, _, role in out if sex == "F" and role != "parent"), out[0][1])
            wanted = len(out) + 1
            children(max(mother, 17.0), 1, oldest=25)
            if len(out) < wanted:  # no child possible: a younger sibling of the head
                sibling = draw(max(15, int(out[0][1]) - 12), int(out[0][1]))
                out.append((self.sex(), sibling, "L", "child"))
        return out

    def surname(self, naming: _Naming, avoid: str = "") -> str:
        r = self.rng.random
        pool = naming.surnames
        name = pool[int(r() * len(pool))]
        if avoid and naming.exogamous:
            for _ in range(4):
                if name != avoid:
                    break
                name = pool[int(r() * len(pool))]
        return name

    def full_name(self, naming: _Naming, surname: str, sex: str, birth_year: int) -> str:
        r = self.rng.random
        era = 1.0 if birth_year >= 2000 else 0.6 if birth_year >= 1990 else 0.3 if birth_year >= 1980 else 0.0
        modern = r() < naming.modern * era
        male = sex == "M"
        middles = naming.male_middles if male else naming.female_middles
        middle = middles[int(r() * len(middles))]
        pool = (_KINH_MALE if male else _KINH_FEMALE) if modern else (naming.male_given if male else
                                                                       naming.female_given)
        given = pool[int(r() * len(pool))]
        if (modern or naming is NAMINGS[KINH]) and r() < naming.compound:
            seconds = _SECOND_MALE if male else _SECOND_FEMALE
            second = seconds[int(r() * len(seconds))]
            if second != given and second != middle:
                return f"{surname} {middle} {second} {given}"
        return f"{surname} {middle} {given}"


def _occupation(r, age: int, sex: str, ethnicity: str, urban: bool) -> str:
    if age < 6:
        return "Trẻ em"
    if age < 15:
        return "Học sinh"
    kinh_like = ethnicity == KINH or urban
    if age < 18:
        return "Học sinh" if r() < (0.92 if kinh_like else 0.72) else ("Làm nương" if ethnicity in _HIGHLAND
                                                                        else "Làm ruộng")
    if age >= 60:
        if ethnicity == KINH and r() < 0.45:
            return "Hưu trí"
        return "Ở nhà" if r() < 0.5 else ("Làm nương" if ethnicity in _HIGHLAND else "Làm ruộng")
    if age < 23 and r() < (0.22 if kinh_like else 0.06):
        return "Sinh viên"
    pool = _URBAN_JOBS if kinh_like else (_UPLAND_JOBS if ethnicity in _HIGHLAND else _VALLEY_JOBS)
    job = pool[int(r() * len(pool))]
    if job in ("Bộ đội", "Công an", "Lái xe", "Thợ xây") and sex == "F":
        job = "Nội trợ" if r() < 0.5 else "Buôn bán"
    return job


_UPLAND_JOBS = _weighted(("Làm nương", 40), ("Nông dân", 22), ("Làm ruộng", 8), ("Chăn nuôi", 4), ("Trồng chè", 3),
                         ("Lao động tự do", 6), ("Công nhân", 3), ("Đi làm ăn xa", 4), ("Nội trợ", 3),
                         ("Cán bộ, công chức", 2), ("Giáo viên", 2), ("Buôn bán", 1), ("Nhân viên y tế", 1),
                         ("Bộ đội", 1))
_VALLEY_JOBS = _weighted(("Làm ruộng", 38), ("Nông dân", 20), ("Làm nương", 8), ("Trồng chè", 4), ("Chăn nuôi", 3),
                         ("Lao động tự do", 6), ("Công nhân", 4), ("Đi làm ăn xa", 3), ("Nội trợ", 3),
                         ("Cán bộ, công chức", 4), ("Giáo viên", 3), ("Buôn bán", 2), ("Nhân viên y tế", 1),
                         ("Bộ đội", 1))
_URBAN_JOBS = _weighted(("Buôn bán", 16), ("Kinh doanh", 7), ("Cán bộ, công chức", 14), ("Giáo viên", 8),
                        ("Nhân viên y tế", 3), ("Công nhân", 9), ("Lao động tự do", 12), ("Nông dân", 12),
                        ("Lái xe", 3), ("Thợ xây", 4), ("Nội trợ", 6), ("Bộ đội", 2), ("Công an", 2),
                        ("Nhân viên văn phòng", 2))
_INSURANCE_BY_JOB = {"Cán bộ, công chức": "HC4", "Giáo viên": "HC4", "Nhân viên y tế": "HC4", "Bộ đội": "QN5",
                     "Công an": "CA5", "Hưu trí": "HT3", "Công nhân": "DN4", "Nhân viên văn phòng": "DN4",
                     "Sinh viên": "SV4"}


def generate(communes: list[Commune], n: int, seed: int, *, today: date) -> Iterator[SyntheticPerson]:
    """`n` synthetic people living in `communes` (spread by weight), household by household, head first.

    Lazy: nothing is drawn until the first person is asked for (a ValueError for bad arguments comes then too).
    The last household is cut short when `n` falls inside it."""
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return
    g = _Generator(communes, seed, today)
    rng = g.rng
    r = rng.random
    today_ord = g.today_ord
    today_year, today_md = today.year, (today.month, today.day)
    fromordinal = date.fromordinal
    cccd_next, phone_next, insurance_next = g.cccd.next, g.phones.next, g.insurance.next
    phone_prefixes, other_provinces = g.phone_prefixes, g.other_provinces
    cond_tables = g.cond
    ethnic_index = {code: i for i, code in enumerate(g.ethnic_codes)}
    ethnic_counts = g.ethnic_counts
    commune_cum, commune_total = g.commune_cum, g.commune_cum[-1]
    issued = 0
    household = 0
    while issued < n:
        household += 1
        ci = min(bisect(commune_cum, r() * commune_total), len(commune_cum) - 1)
        commune, plan, vcum, urban = g.communes[ci], g.plans[ci], g.village_cum[ci], g.wards[ci]
        vi = min(bisect(vcum, r() * vcum[-1]), len(vcum) - 1)
        village, village_main, _ = plan[vi]
        ethnicity = g.household_ethnicity(village_main, 5)
        naming = NAMINGS[ethnicity]
        household_key = f"S{seed}-H{household:07d}"
        members = g.members(ethnicity)
        family = g.surname(naming)
        head_sex = members[0][0]
        # With a mother at the head, the children carry their (absent) father's surname.
        head_surname = family if head_sex == "M" else g.surname(naming)
        for position, (sex, age_years, lineage, role) in enumerate(members):
            if issued >= n:
                break
            issued += 1
            g.people = issued
            own_ethnicity = ethnicity
            person_naming = naming
            if lineage == "O" and role in ("spouse", "child_in_law") and r() < 0.04:
                own_ethnicity = g.any_ethnicity()
                person_naming = NAMINGS[own_ethnicity]
            ethnic_counts[ethnic_index[own_ethnicity]] += 1
            if position == 0:
                surname = head_surname
            elif lineage == "L":
                surname = family
            else:
                surname = g.surname(person_naming, avoid=family if person_naming is naming else "")
            birth = fromordinal(today_ord - int(age_years * 365.2425))
            birth_year = birth.year
            age = today_year - birth_year - (today_md < (birth.month, birth.day))  # completed years today
            band = 0 if age < 15 else 1 if age < 30 else 2 if age < 45 else 3 if age < 60 else 4
            # Year of birth only: common among the elderly.
            year_only = r() < (0.25 if age >= 60 else 0.05 if age >= 15 else 0.015)
            # CCCD: province of birth registration, century and sex, year, then a unique serial.
            no_card = r() < (0.14 if age < 14 else 0.18 if age >= 60 else 0.04)
            cccd = None
            if not no_card:
                born_away = 0.35 if own_ethnicity == KINH and birth_year < 1998 else 0.04
                province = other_provinces[int(r() * len(other_provinces))] if r() < born_away else HOME_PROVINCE
                century = (birth_year // 100 - 19) * 2 + (sex == "F")
                cell = int(province) * 10000 + century * 100 + birth_year % 100
                cccd = f"{province}{century}{birth_year % 100:02d}{cccd_next(cell):06d}"
            occupation = _occupation(r, age, sex, own_ethnicity, urban)
            insurance = None
            if r() < (0.97 if age < 6 else 0.89):
                if age < 6:
                    kind = "TE1"
                else:
                    kind = _INSURANCE_BY_JOB.get(occupation)
                    if kind is None:
                        if own_ethnicity != KINH:
                            kind = "HN2" if r() < 0.25 else "DT2"
                        elif age < 18:
                            kind = "HS4"
                        else:
                            kind = "GD4" if r() < 0.8 else "CN3"
                # object and benefit level, province 12, then the 10-digit social-insurance number (12 + 8)
                insurance = f"{kind}1212{insurance_next(0):08d}"
            phone = None
            if age >= 15 and r() < (0.74 if 18 <= age < 60 else 0.35 if age >= 60 else 0.3):
                prefix = phone_prefixes[int(r() * len(phone_prefixes))]
                phone = f"{prefix}{phone_next(int(prefix)):07d}"
            any_p, probs, conditional = cond_tables[band]
            conditions: list[str] = []
            if r() < any_p:
                need = True
                for i in range(9):
                    if r() < (conditional[i] if need else probs[i]):
                        conditions.append(CONDITIONS[i])
                        need = False
            pregnant = False
            delivery = None
            if sex == "F" and 18 <= age <= 45 and r() < (0.065 if age < 25 else 0.05 if age < 35 else 0.012):
                pregnant = True
                delivery = fromordinal(today_ord + 1 + int(r() * 270))
            disability = ""
            if r() < (0.008 if age < 15 else 0.012 if age < 60 else 0.05):
                disability = DISABILITIES[int(r() * len(DISABILITIES))]
            yield SyntheticPerson(
                key=f"S{seed}-{issued:07d}",
                full_name=g.full_name(person_naming, surname, sex, birth_year),
                sex=sex,
                birth_date=None if year_only else birth,
                birth_year=birth_year,
                ethnicity=own_ethnicity,
                cccd=cccd,
                insurance_number=insurance,
                phone=phone,
                commune_code=commune.code,
                village=village,
                household_key=household_key,
                is_household_head=position == 0,
                occupation=occupation,
                chronic_conditions=conditions,
                pregnant=pregnant,
                expected_delivery=delivery,
                disability=disability,
                commune_name=commune.name,
            )


# ---- spreadsheet form -------------------------------------------------------------------------------


def to_row(p: SyntheticPerson) -> dict[str, str]:
    """The person as a commune types it in Excel, under Vietnamese headers (see CSV_HEADERS)."""
    born = p.birth_date.strftime("%d/%m/%Y") if p.birth_date else str(p.birth_year)
    return {
        "Họ và tên": p.full_name,
        "Ngày sinh": born,
        "Giới tính": "Nam" if p.sex == "M" else "Nữ",
        "Số CCCD": p.cccd or "",
        "Số thẻ BHYT": p.insurance_number or "",
        "SĐT": p.phone or "",
        "Dân tộc": ETHNICITY_NAMES.get(p.ethnicity, ""),
        "Thôn/bản": p.village,
        "Xã/phường": p.commune_name,
        "Nghề nghiệp": p.occupation,
    }


def write_csv(path: str | Path, people: Iterable[SyntheticPerson], *, encoding: str = "utf-8-sig") -> int:
    """Stream people to a CSV file with the Vietnamese headers; returns the number of rows written."""
    count = 0
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_HEADERS)
        writer.writeheader()
        for person in people:
            writer.writerow(to_row(person))
            count += 1
    return count


__all__ = ["AGE_PYRAMID", "CONDITIONS", "CSV_HEADERS", "ETHNIC_MIX", "ETHNIC_SHARES", "MALE_SHARE", "Commune",
           "SyntheticPerson", "generate", "is_ward", "to_row", "village_names", "village_plan", "write_csv"]
