"""Every rule of the record linkage, in one readable place.

Read this module top to bottom to know how a CYFD client, a PED student and an
AOC party are found to be the same child:

1. FEATURES: the columns built from the identity models (see features.py for
   the SQL); each row is one identity (a name/birth-date version) of a system id.
2. DETERMINISTIC rules: links that are certain and need no model.
3. BLOCKING_RULES: which pairs of identities the model scores at all.
4. COMPARISONS: how each pair is compared, level by level (Splink).
5. TRAINING: how the model's parameters are estimated (`datashare train-linkage`).
6. THRESHOLDS: which probability auto-links, which goes to clerical review.
7. CLUSTERING: at most one id of CYFD and one of AOC per person; a CYFD or AOC
   id links to at most one PED person (one-to-one between systems); several PED
   ids can be one person (PED issued duplicate ids).

Nothing else in the project restates these numbers; the dbt models and the
docs (docs/linkage.md) refer to them.
"""

from __future__ import annotations

from typing import Any

# ---------------------------------------------------------------------------
# 6. Thresholds (match probability of the best pair of identities of two ids)
# ---------------------------------------------------------------------------

#: At or above: linked automatically ('auto' band).
AUTO_MATCH_PROBABILITY = 0.95
#: At or above (and below AUTO): clerical review band; undecided pairs stay
#: separate persons. Below: not a candidate ('none').
REVIEW_MIN_PROBABILITY = 0.50
#: Between two systems (CYFD-PED, AOC-PED, AOC-CYFD) a child has at most one
#: id on each side, so a pair that is each side's single best candidate in
#: the other system ("mutual best") is auto-linked from this lower
#: probability on. Mutual best is not proof: a CYFD child who is not in
#: public school has no PED record, and a namesake can be the best
#: candidate. At statewide scale (310,000 students a year, default noise)
#: mutual-best pairs between 0.2 and 0.5 were about a third wrong; the
#: threshold sweep there (precision / recall / F1 over all ids) gave
#: 0.20: 0.9938 / 0.9889 / 0.9913, 0.35: 0.9959 / 0.9865 / 0.9911,
#: 0.50: 0.9969 / 0.9842 / 0.9905, 0.65: 0.9976 / 0.9799 / 0.9887.
#: 0.35 keeps F1 at its best while meeting precision 0.995 (docs/linkage.md).
MUTUAL_BEST_MIN_PROBABILITY = 0.35
#: Within PED the same rule applies to ids never reported in the same
#: snapshot (school year and period): two ids reported together are two
#: children enrolled at the same time (twins, namesakes), never a duplicate
#: id, and are never linked (models/matched/int_linkage__pairs.sql).
#: Pairs scored by the model are kept from this probability on (the review
#: queue and quality diagnostics use them).
SCORE_FLOOR_PROBABILITY = min(REVIEW_MIN_PROBABILITY, MUTUAL_BEST_MIN_PROBABILITY)

# ---------------------------------------------------------------------------
# 7. Clustering constraints
# ---------------------------------------------------------------------------

#: Systems whose ids may be several per person (duplicate ids), merged only by
#: links within the system. Other systems hold at most one id per person.
MULTI_ID_SYSTEMS = ("PED",)
SYSTEMS = ("CYFD", "PED", "AOC")

# ---------------------------------------------------------------------------
# Which pairs are ever compared: different ids, and within one system only
# where that system issues duplicate ids (PED). Appended to every blocking
# rule, training or scoring.
# ---------------------------------------------------------------------------

PAIR_SCOPE = (
    "l.system_id_key <> r.system_id_key "
    "and (l.system <> r.system or l.system = 'PED')"
)


def scoped(rule: str) -> str:
    """A blocking rule restricted to the pairs the linkage is about."""
    return f"({rule}) and {PAIR_SCOPE}"


# ---------------------------------------------------------------------------
# 3. Blocking rules for scoring: a pair is scored if ANY rule holds. Each rule
#    lets one or two fields be wrong while the others agree exactly.
# ---------------------------------------------------------------------------

BLOCKING_RULES: list[str] = [scoped(r) for r in [
    # birth date exact, one name (any spelling variant) exact
    "l.birth_date = r.birth_date and l.first_name_canonical = r.first_name_canonical",
    "l.birth_date = r.birth_date and l.last_name_first_token = r.last_name_first_token",
    "l.birth_date = r.birth_date and l.last_name_last_token = r.last_name_last_token",
    # names agree, one part of the birth date wrong (typo, day/month swap)
    "l.first_name_canonical = r.first_name_canonical and l.last_name_first_token = r.last_name_first_token "
    "and l.birth_year = r.birth_year",
    "l.first_name_canonical = r.first_name_canonical and l.last_name_first_token = r.last_name_first_token "
    "and l.birth_month = r.birth_month and l.birth_day = r.birth_day",
    # first and last name swapped
    "l.first_name_std = r.last_name_std and l.last_name_std = r.first_name_std",
    "l.birth_date = r.birth_date and l.first_name_std = r.last_name_first_token",
    # a name typo and a birth date error together
    "l.birth_year = r.birth_year and l.birth_month = r.birth_month "
    "and l.first_name_prefix = r.first_name_prefix and l.last_name_prefix = r.last_name_prefix",
    "l.birth_year = r.birth_year and l.birth_month = r.birth_day and l.birth_day = r.birth_month "
    "and l.first_name_canonical = r.first_name_canonical",
    "l.birth_year = r.birth_year and l.birth_month = r.birth_day and l.birth_day = r.birth_month "
    "and l.last_name_first_token = r.last_name_first_token",
    # SSN
    "l.ssn = r.ssn",
]]

# ---------------------------------------------------------------------------
# 4. Comparisons. Column names carry Splink's _l/_r suffixes. No separate sex
#    comparison: sex is already carried by the first name and a second,
#    correlated comparison double-counts it. A level given `m_probability`
#    here starts from that value; it keeps it when no training pass can see
#    the level (a swapped pair never agrees on the blocked name columns), so
#    rare but telling patterns are not left at a neutral weight.
# ---------------------------------------------------------------------------

_FIRST_SWAPPED = "first_name_std_l = last_name_std_r and last_name_std_l = first_name_std_r"


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(column: str) -> dict[str, Any]:
    return _level(f"{column}_l is null or {column}_r is null", f"{column} missing", is_null_level=True)


_ELSE = _level("ELSE", "all other")

COMPARISONS: list[dict[str, Any]] = [
    {
        "output_column_name": "first_name",
        "comparison_description": "first name: exact, nickname, swapped with last, typo, similar",
        "comparison_levels": [
            _null("first_name_std"),
            _level("first_name_std_l = first_name_std_r", "exact",
                   tf_adjustment_column="first_name_std", tf_adjustment_weight=1.0),
            _level("list_has_any(first_name_names_l, first_name_names_r)", "same name (nickname)"),
            _level(_FIRST_SWAPPED, "first and last swapped", m_probability=0.01),
            _level("damerau_levenshtein(first_name_std_l, first_name_std_r) <= 1 "
                   "or jaro_winkler_similarity(first_name_std_l, first_name_std_r) >= 0.94",
                   "one-character typo / JW >= 0.94"),
            _level("first_name_std_l = middle_name_std_r or middle_name_std_l = first_name_std_r",
                   "first name is the other's middle name", m_probability=0.005),
            _level("jaro_winkler_similarity(first_name_canonical_l, first_name_canonical_r) >= 0.85",
                   "similar (JW >= 0.85)", m_probability=0.005),
            _ELSE,
        ],
    },
    {
        "output_column_name": "last_name",
        "comparison_description": "last name: exact (TF-adjusted), swapped, compound surname, typo",
        "comparison_levels": [
            _null("last_name_std"),
            _level("last_name_std_l = last_name_std_r", "exact",
                   tf_adjustment_column="last_name_std", tf_adjustment_weight=1.0),
            _level("last_name_joined_l = last_name_joined_r", "same without spaces/hyphens"),
            # the swap's evidence is counted once, under first_name
            _level(_FIRST_SWAPPED, "first and last swapped (counted under first name)", is_null_level=True),
            _level("list_has_any(last_name_tokens_l, last_name_tokens_r)",
                   "shares a surname token (compound surname)"),
            _level("damerau_levenshtein(last_name_std_l, last_name_std_r) <= 1 "
                   "or jaro_winkler_similarity(last_name_std_l, last_name_std_r) >= 0.94",
                   "one-character typo / JW >= 0.94"),
            _level("jaro_winkler_similarity(last_name_std_l, last_name_std_r) >= 0.85",
                   "similar (JW >= 0.85)", m_probability=0.005),
            _ELSE,
        ],
    },
    {
        "output_column_name": "birth_date",
        "comparison_description": "birth date: exact, day/month swapped, one-character typo, one part wrong",
        "comparison_levels": [
            _null("birth_date"),
            _level("birth_date_l = birth_date_r", "exact"),
            _level("birth_year_l = birth_year_r and birth_month_l = birth_day_r "
                   "and birth_day_l = birth_month_r", "day and month swapped", m_probability=0.004),
            _level("damerau_levenshtein(birth_date_text_l, birth_date_text_r) <= 1",
                   "one-character typo"),
            _level("(birth_year_l = birth_year_r)::int + (birth_month_l = birth_month_r)::int "
                   "+ (birth_day_l = birth_day_r)::int = 2", "only one of year, month, day differs"),
            _level("abs(date_diff('day', birth_date_l, birth_date_r)) <= 366", "within a year"),
            _ELSE,
        ],
    },
    {
        "output_column_name": "ssn",
        "comparison_description": "SSN where both have one: exact, one-character typo, last four",
        "comparison_levels": [
            _null("ssn"),
            _level("ssn_l = ssn_r", "exact"),
            _level("damerau_levenshtein(ssn_l, ssn_r) <= 1", "one-character typo", m_probability=0.02),
            _level("ssn_last4_l = ssn_last4_r", "same last four digits", m_probability=0.005),
            _ELSE,
        ],
    },
    {
        "output_column_name": "middle_name",
        "comparison_description": "middle name where both have one: exact, initial",
        "comparison_levels": [
            _null("middle_name_std"),
            _level("middle_name_std_l = middle_name_std_r", "exact"),
            _level("left(middle_name_std_l, 1) = left(middle_name_std_r, 1)", "same initial",
                   m_probability=0.05),
            _ELSE,
        ],
    },
]

#: Columns kept on scored pairs for the review queue (besides Splink's own).
ADDITIONAL_COLUMNS_TO_RETAIN = ["system", "system_id", "system_id_key", "identity_source"]


def splink_settings() -> dict[str, Any]:
    """The Splink settings dictionary (untrained)."""
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "identity_id",
        "probability_two_random_records_match": 1e-6,
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": r, "sql_dialect": "duckdb"} for r in BLOCKING_RULES
        ],
        "comparisons": COMPARISONS,
        "additional_columns_to_retain": ADDITIONAL_COLUMNS_TO_RETAIN,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "max_iterations": 25,
        "em_convergence": 0.0001,
    }


# ---------------------------------------------------------------------------
# 5. Training (`datashare train-linkage`)
# ---------------------------------------------------------------------------

#: Pairs almost surely the same child: used to estimate the share of random
#: pairs that match (the model's prior), with this assumed recall.
PRIOR_RULES = [scoped(
    "l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std and l.birth_date = r.birth_date"
)]
PRIOR_RECALL = 0.75
#: Splink has one prior for all pairs, but the share of matching pairs differs
#: by orders of magnitude between system pairs (most CYFD clients are in PED;
#: almost no two PED ids are one child). Training therefore also estimates a
#: prior per system pair (same rule, same recall; saved as
#: system_pair_priors.json) and scoring replaces the global prior by it.
PRIOR_RULE_SQL = (
    "l.first_name_std = r.first_name_std and l.last_name_std = r.last_name_std "
    "and l.birth_date = r.birth_date"
)
#: Random pairs sampled to estimate u (how often fields agree by chance).
U_MAX_PAIRS = 1_000_000
#: EM passes. Splink estimates in a pass only the comparisons that use none
#: of the columns the pass blocks on, so each pass blocks on some fields and
#: trains the others on pairs NOT pre-selected to agree on them:
#:   1. birth date + last name (joined form, a column only the last-name
#:      comparison reads) -> trains first name, SSN, middle name. Twins are
#:      the non-matches here, so a different first name is learnt to count
#:      strongly against a match.
#:   2. birth date + first name (canonical) -> trains last name.
#:   3. first name + last name -> trains birth date.
#: Blocking on names alone to train names makes EM believe that every pair of
#: common-name children matches; that is avoided by construction.
EM_PASSES = [
    scoped("l.birth_date = r.birth_date and l.last_name_joined = r.last_name_joined"),
    scoped("l.birth_date = r.birth_date and l.first_name_canonical = r.first_name_canonical"),
    scoped("l.first_name_canonical = r.first_name_canonical and l.last_name_joined = r.last_name_joined"),
]
#: After training, no level's m probability is left below this floor (then
#: each comparison's m are renormalised). EM drives levels it rarely sees to
#: m ~ 0 (match weight -50 and worse), which would veto a link on one
#: unlucky field; the floor caps any single level at about -10.
M_PROBABILITY_FLOOR = 1e-3
#: Each EM pass uses at most about this many blocked pairs (Splink samples
#: records by hash), which keeps training time flat at statewide scale.
EM_MAX_PAIRS = 3_000_000

# ---------------------------------------------------------------------------
# 2. Deterministic rules (models/matched/int_linkage__deterministic_pairs.sql
#    implements them; listed here for the docs and the evaluation)
# ---------------------------------------------------------------------------

DETERMINISTIC_RULES = {
    "ssn_birth_date": "same 9-digit SSN and same birth date",
    "unique_full_identity": (
        "same standardized first, middle (when both have one) and last name, birth date and sex, "
        "and no other id of either system carries that identity"
    ),
}
