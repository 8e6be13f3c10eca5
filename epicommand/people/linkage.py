"""Record linkage: the population register against the National Population Database, and within itself.

Công văn 1495/BYT-CNTT asks to match on identity number, full name and date of birth, and names the usual
faults: a wrong birth date, a wrong name, a number not found. A probabilistic model (Fellegi–Sunter, through
Splink on an in-memory DuckDB) weighs each kind of agreement by how rare it is among non-matches, so a
misspelt name with the right date and commune still links while two namesakes born years apart do not.

Pure Python: callers pass plain `LinkRecord`s (no ORM), get `Match`es back and decide what to do with them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from epicommand.core.text import fold, nfc

logger = logging.getLogger(__name__)

REGISTER, REFERENCE = "register", "reference"
SEED = 1495  # fixed: the same inputs give the same model and the same matches
THREADS = 2


@dataclass(frozen=True)
class LinkRecord:
    id: str  # caller's id (person pk or reference row id)
    full_name: str  # as stored, NFC with diacritics (may be misspelled, may lack diacritics)
    birth_date: date | None  # None when only the year is known
    birth_year: int | None
    sex: str | None  # "M" / "F" / None
    cccd: str | None  # 12-digit identity number or None
    commune_code: str | None  # CURRENT commune GSO code (map pre-2025 codes with commune_successors)


@dataclass(frozen=True)
class Match:
    """link(): left is the register record, right the reference row. dedupe(): the two ids, smaller first."""

    left_id: str
    right_id: str
    probability: float


def commune_successors(province_code: str) -> dict[str, str]:
    """Pre-2025 commune code → current commune code (current codes map to themselves, so mapping twice is
    harmless). Imported lazily: `places` needs Django settings, the rest of this module does not."""
    from epicommand.core.places import legacy_successor_codes

    return legacy_successor_codes(province_code)


# ---- normalisation ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Name:
    marked: str | None  # lower case with diacritics: "hùng" and "hưng" are different names
    folded: str | None  # what is left when the diacritics were never typed
    surname: str | None
    middle: str | None
    given: str | None
    surname_given: str | None  # the name without its middle part ("Giàng Dế" for "Giàng A Dế")
    has_marks: bool


def _name(full_name: str) -> _Name:
    marked = nfc(full_name).lower()
    folded = fold(full_name)
    if not folded:
        return _Name(None, None, None, None, None, None, False)
    tokens = folded.split(" ")
    if len(tokens) == 1:
        # A lone token is far more often a given name ("Dế") than a surname.
        return _Name(marked, folded, None, None, tokens[0], tokens[0], marked != folded)
    middle = " ".join(tokens[1:-1]) or None
    return _Name(marked, folded, tokens[0], middle, tokens[-1], f"{tokens[0]} {tokens[-1]}", marked != folded)


def _cccd(value: str | None) -> str | None:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    # Anything shorter than an old 9-digit CMND is a fragment, which would only make false agreements.
    return digits if len(digits) >= 9 else None


def _sex(value: str | None) -> str | None:
    value = (value or "").strip().upper()[:1]
    return value if value in ("M", "F") else None


COLUMNS: list[tuple[str, pa.DataType]] = [
    ("unique_id", pa.string()), ("name_marked", pa.string()), ("has_marks", pa.bool_()),
    ("full_name", pa.string()), ("surname", pa.string()), ("middle", pa.string()), ("given", pa.string()),
    ("surname_given", pa.string()), ("birth_date", pa.date32()), ("birth_year", pa.int32()),
    ("birth_month", pa.int32()), ("birth_day", pa.int32()), ("birth_dm", pa.string()), ("sex", pa.string()),
    ("cccd", pa.string()), ("cccd_serial", pa.string()), ("cccd_digits", pa.string()), ("commune", pa.string()),
]


def _table(records: Iterable[LinkRecord]) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name, _ in COLUMNS}
    seen: set[str] = set()
    names: dict[str, _Name] = {}  # names repeat a lot in a province: fold each spelling once
    for r in records:
        uid = str(r.id)
        if uid in seen:
            raise ValueError(f"duplicate record id {uid!r}")
        seen.add(uid)
        raw = r.full_name or ""
        n = names.get(raw) or names.setdefault(raw, _name(raw))
        bd = r.birth_date
        cols["unique_id"].append(uid)
        cols["name_marked"].append(n.marked)
        cols["has_marks"].append(n.has_marks)
        cols["full_name"].append(n.folded)
        cols["surname"].append(n.surname)
        cols["middle"].append(n.middle)
        cols["given"].append(n.given)
        cols["surname_given"].append(n.surname_given)
        cols["birth_date"].append(bd)
        cols["birth_year"].append(bd.year if bd else r.birth_year)
        cols["birth_month"].append(bd.month if bd else None)
        cols["birth_day"].append(bd.day if bd else None)
        # Day and month as an unordered pair, so 03/11 and 11/03 block together (dd/mm against mm/dd).
        cols["birth_dm"].append(f"{min(bd.day, bd.month):02d}{max(bd.day, bd.month):02d}" if bd else None)
        cols["sex"].append(_sex(r.sex))
        cccd = _cccd(r.cccd)
        cols["cccd"].append(cccd)
        # The first six digits of a CCCD repeat province, sex and birth year, which the other comparisons
        # already weigh: near-agreement is judged on the six serial digits alone.
        cols["cccd_serial"].append(cccd[-6:] if cccd else None)
        cols["cccd_digits"].append("".join(sorted(cccd[-6:])) if cccd else None)
        cols["commune"].append((r.commune_code or "").strip() or None)
    return pa.table(cols, schema=pa.schema(COLUMNS))


# ---- the model -------------------------------------------------------------------------------------

_GIVEN_ALIKE = ("(given_l IS NULL OR given_r IS NULL OR jaro_winkler_similarity(given_l, given_r) >= 0.85)")


def _comparisons() -> list[cl.CustomComparison]:
    """Levels run from most to least specific; the m values are priors from the faults 1495 names,
    replaced by EM estimates when there is enough data to estimate them."""
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("full_name"),
            # Both typed with diacritics that disagree: Hùng and Hưng, Mỷ and Mý are different names (a
            # wrong tone mark is a rarer slip). Checked first, so that the exact level below is "the same
            # name, or the same letters where a side was typed without diacritics".
            cll.CustomLevel("full_name_l = full_name_r AND has_marks_l AND has_marks_r AND "
                            "name_marked_l <> name_marked_r", "same letters, other marks")
               .configure(m_probability=0.003),
            # Term frequencies: "Nguyễn Văn Hùng" or "Giàng A Dế" agreeing says much less than a rare name.
            cll.ExactMatchLevel("full_name", term_frequency_adjustments=True).configure(m_probability=0.90),
            # Middle name left out ("Giàng Dế" for "Giàng A Dế") is a common shortcut; a different middle
            # name ("Giàng Seo Dế") more often another person.
            cll.CustomLevel("surname_given_l = surname_given_r AND (middle_l IS NULL OR middle_r IS NULL)",
                            "same surname and given name, a side without middle name")
               .configure(m_probability=0.02, tf_adjustment_column="surname_given"),
            cll.ExactMatchLevel("surname_given").configure(m_probability=0.01, tf_adjustment_column="surname_given"),
            # One slip of the keyboard anywhere in the name.
            cll.LevenshteinLevel("full_name", 1).configure(m_probability=0.04),
            # Two slips, but only if the given name survives them: surname and middle name shared by
            # siblings would otherwise make "Lò Văn Thắng" look like "Lò Văn Ánh".
            cll.And(cll.Or(cll.LevenshteinLevel("full_name", 2), cll.JaroWinklerLevel("full_name", 0.94)),
                    cll.JaroWinklerLevel("given", 0.85)).configure(m_probability=0.015),
            cll.ElseLevel().configure(m_probability=0.005),
        ],
    )
    # Where a level can be absent from a small input altogether (no year-only dates, no mistyped number),
    # u falls back to what a province's spread of ages and serial numbers implies.
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL", "null").configure(is_null_level=True),
            cll.CustomLevel("birth_date_l = birth_date_r", "exact date").configure(m_probability=0.85),
            cll.CustomLevel("birth_year_l = birth_year_r AND birth_day_l = birth_month_r AND "
                            "birth_month_l = birth_day_r", "day and month swapped")
               .configure(m_probability=0.01, u_probability=3e-5),
            # Year only on one side or both: the year agrees and that is all there is to compare.
            cll.CustomLevel("birth_year_l = birth_year_r AND (birth_date_l IS NULL OR birth_date_r IS NULL)",
                            "same year, a side has year only").configure(m_probability=0.06, u_probability=0.012),
            cll.CustomLevel("birth_year_l = birth_year_r AND (birth_day_l = birth_day_r OR "
                            "birth_month_l = birth_month_r)", "same year, day or month agrees")
               .configure(m_probability=0.02, u_probability=0.0014),
            cll.CustomLevel("birth_year_l = birth_year_r", "same year").configure(m_probability=0.003),
            # A mistyped year keeps day and month; years guessed from an age are often one off.
            cll.CustomLevel("abs(birth_year_l - birth_year_r) = 1 AND birth_dm_l = birth_dm_r",
                            "year ±1, same day and month").configure(m_probability=0.008, u_probability=6e-5),
            cll.CustomLevel("abs(birth_year_l - birth_year_r) = 1 AND (birth_date_l IS NULL OR birth_date_r IS NULL)",
                            "year ±1, a side has year only").configure(m_probability=0.01, u_probability=0.023),
            cll.ElseLevel().configure(m_probability=0.003),
        ],
    )
    cccd = cl.CustomComparison(
        output_column_name="cccd",
        comparison_levels=[
            # A 9-digit CMND against a 12-digit CCCD is no evidence either way.
            cll.CustomLevel("cccd_l IS NULL OR cccd_r IS NULL OR length(cccd_l) <> length(cccd_r)", "null")
               .configure(is_null_level=True),
            cll.ExactMatchLevel("cccd").configure(m_probability=0.97),
            # One serial digit mistyped, or two swapped: a typo, not another person, unless the given names
            # differ too: twins registered together get consecutive numbers.
            cll.CustomLevel(f"levenshtein(cccd_serial_l, cccd_serial_r) = 1 AND {_GIVEN_ALIKE}",
                            "one serial digit off, given names alike")
               .configure(m_probability=0.015, u_probability=1e-5),
            cll.CustomLevel(f"cccd_digits_l = cccd_digits_r AND levenshtein(cccd_serial_l, cccd_serial_r) = 2 "
                            f"AND {_GIVEN_ALIKE}", "two serial digits swapped, given names alike")
               .configure(m_probability=0.005, u_probability=5e-6),
            cll.ElseLevel().configure(m_probability=0.01),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            cll.NullLevel("sex"),
            cll.ExactMatchLevel("sex").configure(m_probability=0.99),
            cll.ElseLevel().configure(m_probability=0.01),
        ],
    )
    commune = cl.CustomComparison(
        output_column_name="commune",
        comparison_levels=[
            cll.NullLevel("commune"),
            cll.ExactMatchLevel("commune").configure(m_probability=0.93),
            cll.ElseLevel().configure(m_probability=0.07),  # people move, and registers lag behind
        ],
    )
    return [name, birth, cccd, sex, commune]


# Every single fault 1495 names leaves at least two rules that still find the pair, and most pairs of
# faults leave one; each rule keeps its blocks small even for the commonest names.
BLOCKING_RULES = [
    block_on("cccd"),
    block_on("given", "birth_year", "commune"),  # surname or middle name misspelt, day/month wrong
    block_on("surname", "birth_year", "commune"),  # given name misspelt
    block_on("full_name", "birth_year"),  # moved commune, day/month wrong or year only
    block_on("full_name", "commune"),  # birth year wrong
    block_on("given", "birth_year", "birth_dm"),  # moved commune and surname misspelt
    block_on("surname", "birth_year", "birth_dm"),  # moved commune and given name misspelt
    block_on("full_name", "birth_dm"),  # moved commune and birth year wrong
]

# Dedupe only: pairs these rules find are almost surely duplicates, which calibrates the prior.
DETERMINISTIC_RULES = [block_on("cccd"), block_on("full_name", "birth_date", "commune")]
DETERMINISTIC_RECALL = 0.6

# EM rounds: each trains the comparisons its blocking rule leaves out. Blocked on CCCD nearly every pair is
# a match, which pins down how names, dates and communes of one person disagree; blocked on date and
# commune, how often the number itself is wrong.
EM_RULES = [block_on("cccd"), block_on("birth_date", "commune")]
EM_MIN_RECORDS = 5_000  # on smaller inputs EM wanders; the domain priors stay
EM_MAX_PAIRS = 400_000
# Random pairs for u: a tenth of all pairs, within bounds; 3·10^6 resolves levels rarer than 1 in 10^5 and
# takes a few seconds on 2 cores.
U_MIN_PAIRS, U_MAX_PAIRS = 2e5, 3e6
# No fault of hand-entered data is rarer than this among true matches, whatever EM concludes from clean
# synthetic or lucky data: it bounds how hard one disagreement can count against a pair.
M_FLOOR = 1e-4
# The share of register people present in the reference is estimated from the data (see _select_links),
# starting from PRESENCE_PSEUDO records as if half of them were present, so that a register of a handful
# of records cannot talk itself into certainty; and within bounds, so that a lone weak namesake of someone
# absent never becomes a certainty either.
PRESENCE_PSEUDO = 20
PRESENCE_BOUNDS = (0.01, 0.95)
# Candidates whose odds fall this far (bits) below even money are dropped before selection.
CANDIDATE_CUT = 12


@contextmanager
def _phase(name: str) -> Iterator[None]:
    start = time.perf_counter()
    yield
    logger.info("linkage phase %s: %.2f s", name, time.perf_counter() - start)


def _connection() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {THREADS}")
    # Output order is imposed explicitly; letting DuckDB drop insertion order saves memory.
    con.execute("SET preserve_insertion_order = false")
    return con


def _settings(link_type: str, prior: float) -> SettingsCreator:
    return SettingsCreator(
        link_type=link_type,
        comparisons=_comparisons(),
        blocking_rules_to_generate_predictions=BLOCKING_RULES,
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )


def _train(linker: Linker, *, n_pairs: float, em: bool) -> None:
    u_pairs = min(max(n_pairs / 10, U_MIN_PAIRS), U_MAX_PAIRS, max(n_pairs, 1.0))
    with _phase("u"):
        linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=SEED, min_count_per_level=None)
    if em:
        with _phase("em"):
            for rule in EM_RULES:
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS,
                        record_sample_proportion=0.05)
                except Exception as exc:  # noqa: BLE001 (a thin block can defeat EM; the priors remain)
                    logger.info("EM round on %s skipped: %s", rule, exc)
    _settle(linker, u_pairs)
    _log_model(linker)


# Splink 5 has no public setter for trained parameters, hence the private attributes below (pinned version).
def _settle(linker: Linker, u_pairs: float) -> None:
    """Fill what training could not see: a level never met among the random pairs keeps its configured u,
    or else is taken as rarer than 1 in `u_pairs` (Splink would keep an arbitrary default); and no m falls
    below M_FLOOR."""
    for comparison in linker._settings_obj.comparisons:
        levels = comparison._comparison_levels_excluding_null
        for level in levels:
            if not level._has_estimated_u_values and level._u_probability is None:
                level.u_probability = 0.5 / u_pairs
            level.m_probability = max(level.m_probability or M_FLOOR, M_FLOOR)
        total = sum(level.m_probability for level in levels)
        for level in levels:
            level.m_probability = level.m_probability / total


def _log_model(linker: Linker) -> None:
    if not logger.isEnabledFor(logging.DEBUG):
        return
    for comparison in linker._settings_obj.comparisons:
        for level in comparison._comparison_levels_excluding_null:
            logger.debug("%-8s %-60s m=%.4g u=%.4g w=%+.2f", comparison.output_column_name,
                         level.label_for_charts[:60], level.m_probability, level.u_probability,
                         math.log2(level.m_probability / level.u_probability))


def _prior_log2_odds(linker: Linker) -> float:
    prior = linker._settings_obj._probability_two_random_records_match
    return math.log2(prior / (1 - prior))


def link(register: Iterable[LinkRecord], reference: Iterable[LinkRecord], *, threshold: float = 0.9,
         max_candidates: int = 3) -> list[Match]:
    """For each register record, up to `max_candidates` reference records whose match probability is at
    least `threshold`, best first (ordered by register id, then probability). Ids must be unique within
    each input (ValueError otherwise); commune codes must already be current (see commune_successors).

    A register person is at most one reference row, so a pair's probability weighs its evidence against
    the register record's other candidates and against the person being absent from the reference (at a
    rate estimated from the data): two namesakes born the same year in the same commune share the
    probability instead of both passing. Above a threshold of 0.5 at most one candidate is returned.
    """
    if not 0 <= threshold <= 1 or max_candidates < 1:
        raise ValueError("threshold must lie in [0, 1] and max_candidates be at least 1")
    with _phase("prepare"):
        left, right = _table(register), _table(reference)
    if not left.num_rows or not right.num_rows:
        return []
    con = _connection()
    try:
        db = DuckDBAPI(con)
        sdf_l = db.register(left, dataset_display_name=REGISTER)
        sdf_r = db.register(right, dataset_display_name=REFERENCE)
        # The prior only seeds EM: selection below replaces it by the estimated presence rate.
        linker = Linker([sdf_l, sdf_r], _settings("link_only", 1 / (right.num_rows + 1)), log_level=None)
        _train(linker, n_pairs=float(left.num_rows) * right.num_rows,
               em=min(left.num_rows, right.num_rows) >= EM_MIN_RECORDS)
        lpo = _prior_log2_odds(linker)
        with _phase("predict"):
            # Keep candidates whose Bayes factor could matter against a 1-in-N prior.
            cut = lpo + math.log2(right.num_rows) - CANDIDATE_CUT
            predictions = linker.inference.predict(threshold_match_weight=cut, warning_mode="never")
        with _phase("select"):
            rows = _select_links(con, predictions.physical_name, lpo, left.num_rows, right.num_rows, threshold,
                                 max_candidates)
    finally:
        con.close()
    return [Match(left_id=a, right_id=b, probability=p) for a, b, p in rows]


def _select_links(con: duckdb.DuckDBPyConnection, table: str, prior_log2_odds: float, n_register: int,
                  n_reference: int, threshold: float, max_candidates: int) -> list[tuple[str, str, float]]:
    """One-to-one selection as a mixture: each register person is absent from the reference with
    probability 1 - π, else one of its N rows, equally likely before the evidence. For candidate j with
    Bayes factor B_j, P(j) = (π/N)·B_j / ((1 - π) + (π/N)·Σ_k B_k); π is re-estimated as the mean
    posterior presence over all register records until it settles (EM on one parameter)."""
    con.execute(f"""
        CREATE TEMP TABLE link_candidates AS
        SELECT CASE WHEN source_dataset_l = '{REGISTER}' THEN unique_id_l ELSE unique_id_r END AS reg,
               CASE WHEN source_dataset_l = '{REGISTER}' THEN unique_id_r ELSE unique_id_l END AS ref,
               -- log2 Bayes factor, clamped so that pow() below stays finite
               greatest(least(match_weight - ({prior_log2_odds}), 300), -300) AS lbf
        FROM {table}
    """)  # noqa: S608 (Splink's own table name and a float)
    con.execute("""
        CREATE TEMP TABLE link_registers AS
        SELECT reg, top + log2(sum(pow(2, lbf - top))) AS lb
        FROM (SELECT reg, lbf, max(lbf) OVER (PARTITION BY reg) AS top FROM link_candidates)
        GROUP BY reg, top
    """)
    low, high = PRESENCE_BOUNDS
    presence = 0.5
    for _ in range(100):
        # Each record contributes S/((1 - π) + S) with S = (π/N)·ΣB; records without candidates add 0.
        row = con.execute("SELECT sum(1 / (1 + ? * pow(2, -(lb + ?)))) FROM link_registers",
                          [1 - presence, math.log2(presence / n_reference)]).fetchone()
        present = float(row[0] or 0.0) if row else 0.0
        updated = min(max((present + PRESENCE_PSEUDO / 2) / (n_register + PRESENCE_PSEUDO), low), high)
        converged = abs(updated - presence) < 1e-5
        presence = updated
        if converged:
            break
    logger.info("linkage: estimated share of register records present in the reference %.3f", presence)
    rows = con.execute("""
        WITH scored AS (
            SELECT c.reg, c.ref,
                   1 / (? * pow(2, -(c.lbf + ?)) + pow(2, r.lb - c.lbf)) AS p
            FROM link_candidates c JOIN link_registers r USING (reg)
        ), ranked AS (
            SELECT reg, ref, p, row_number() OVER (PARTITION BY reg ORDER BY p DESC, ref) AS rank FROM scored
        )
        SELECT reg, ref, p FROM ranked WHERE p >= ? AND rank <= ? ORDER BY reg, rank
    """, [1 - presence, math.log2(presence / n_reference), threshold, max_candidates]).fetchall()
    return [(a, b, float(p)) for a, b, p in rows]


def dedupe(records: Iterable[LinkRecord], *, threshold: float = 0.95) -> list[Match]:
    """Pairs of likely duplicates inside one register (left_id < right_id), most likely first. A record
    may have several duplicates, so each pair stands on its own probability."""
    if not 0 <= threshold <= 1:
        raise ValueError("threshold must lie in [0, 1]")
    with _phase("prepare"):
        table = _table(records)
    n = table.num_rows
    if n < 2:
        return []
    pairs_total = n * (n - 1) / 2
    con = _connection()
    try:
        db = DuckDBAPI(con)
        linker = Linker(db.register(table, dataset_display_name=REGISTER), _settings("dedupe_only", 1 / n),
                        log_level=None)
        with _phase("prior"):
            try:
                linker.training.estimate_probability_two_random_records_match(
                    DETERMINISTIC_RULES, recall=DETERMINISTIC_RECALL)
            except ValueError:
                pass  # more sure duplicates than the assumed recall allows: keep 1/n
            # A register where exact rules find no duplicate still has fuzzy ones: assume at least one
            # record in a hundred has a duplicate.
            settings = linker._settings_obj
            settings._probability_two_random_records_match = min(
                max(settings._probability_two_random_records_match, 0.01 * n / 2 / pairs_total), 0.5)
        _train(linker, n_pairs=pairs_total, em=n >= EM_MIN_RECORDS)
        with _phase("predict"):
            predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
            rows = con.execute(
                f"SELECT unique_id_l, unique_id_r, match_probability FROM {predictions.physical_name}"  # noqa: S608
            ).fetchall()
    finally:
        con.close()
    pairs = [(min(a, b), max(a, b), float(p)) for a, b, p in rows if p >= threshold]
    pairs.sort(key=lambda t: (-t[2], t[0], t[1]))
    return [Match(left_id=a, right_id=b, probability=p) for a, b, p in pairs]
