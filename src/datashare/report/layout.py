"""What the report shows and in which order: domains, measures, groups, breakdowns.

Measure names, group codes and breakdown names are the published mart's
interface (`published_outcomes`, see ../shared/research-design.md); the labels,
the chosen breakdown of each measure's small multiples and the wording
thresholds are presentation choices of the report and live here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of measure: a proportion of a denominator (shown in percent), a mean
# per student-year, or a count per 100 student-years.
PROPORTION = "proportion"
MEAN = "mean"
PER_100 = "per_100"


@dataclass(frozen=True)
class Measure:
    name: str  # exactly as in published_outcomes.measure
    label: str  # plain-language name used in titles and sentences
    definition: str  # numerator over denominator, as the research design states it
    breakdown: str  # the breakdown drawn as small multiples
    kind: str = PROPORTION
    n_unit: str = ""  # what the denominator counts when not student-years, e.g. ' days enrolled'


@dataclass(frozen=True)
class Domain:
    key: str
    title: str
    measures: tuple[Measure, ...]


DOMAINS: tuple[Domain, ...] = (
    Domain("special_services", "Special services", (
        Measure("special_ed_rate", "special education",
                "student-years with special education in at least one snapshot, over all student-years",
                "grade_band"),
        Measure("gifted_rate", "gifted",
                "student-years identified gifted in at least one snapshot, over all student-years",
                "race_ethnicity"),
        Measure("english_learner_rate", "English learner",
                "student-years identified English learner in at least one snapshot, over all student-years",
                "race_ethnicity"),
        Measure("section_504_rate", "Section 504 plan",
                "student-years with a Section 504 plan in at least one snapshot, over all student-years",
                "sex"),
    )),
    Domain("mobility", "Mobility", (
        Measure("mobility_rate", "changed schools",
                "student-years attending 2 or more distinct schools in the year, over all student-years",
                "grade_band"),
        Measure("schools_attended_mean", "schools attended (mean)",
                "distinct schools attended in the year, averaged over student-years",
                "grade_band", MEAN),
    )),
    Domain("retention_graduation", "Retention and graduation", (
        Measure("retention_rate", "retained in grade",
                "student-years in grades KF-11 not promoted the next year, over those enrolled the next year",
                "grade_band"),
        Measure("graduation_rate_4yr", "four-year graduation",
                "cohort members graduating in four years, over the cohort less transfers out and deaths "
                "(school year = cohort year)",
                "sex"),
        Measure("dropout_rate", "dropped out",
                "student-years in grades 07-12 with a dropout exit, over student-years in grades 07-12",
                "sex"),
    )),
    Domain("attendance", "Attendance, enrollment and truancy", (
        Measure("attendance_rate", "attendance",
                "days present over days enrolled, pooled over the group's student-years",
                "grade_band", n_unit=" days enrolled"),
        Measure("chronic_absence_rate", "chronically absent",
                "student-years absent 10% or more of enrolled days (NMSA 22-12A), over student-years with "
                "10 or more days enrolled",
                "grade_band"),
        Measure("excessive_absence_rate", "excessively absent",
                "student-years absent 20% or more of enrolled days, over student-years with 10 or more days "
                "enrolled",
                "grade_band"),
        Measure("habitual_truancy_rate", "habitually truant",
                "student-years with 10 or more unexcused absences, over all student-years",
                "sex"),
    )),
    Domain("discipline", "Discipline", (
        Measure("infraction_rate", "with a discipline incident",
                "student-years with 1 or more discipline records, over all student-years",
                "sex"),
        Measure("out_of_school_suspension_rate", "suspended out of school",
                "student-years with 1 or more out-of-school suspensions, over all student-years",
                "race_ethnicity"),
        Measure("expulsion_rate", "expelled",
                "student-years with 1 or more expulsions, over all student-years",
                "sex"),
        Measure("incidents_per_100", "discipline incidents per 100 students",
                "discipline records (student-incidents) per 100 student-years",
                "grade_band", PER_100),
    )),
    Domain("testing", "Testing and assessment", (
        Measure("proficiency_rate_ela", "proficient in ELA",
                "student-years scoring at level 3 or 4 in English language arts, over those with an ELA score",
                "grade_band"),
        Measure("proficiency_rate_math", "proficient in math",
                "student-years scoring at level 3 or 4 in math, over those with a math score",
                "sex"),
        Measure("proficiency_rate_science", "proficient in science",
                "student-years scoring at level 3 or 4 in science (NM-ASR), over those with a science score",
                "race_ethnicity"),
    )),
)

MEASURES: dict[str, Measure] = {m.name: m for d in DOMAINS for m in d.measures}
DOMAIN_OF: dict[str, Domain] = {m.name: d for d in DOMAINS for m in d.measures}

# Comparison groups in drawing order, with a label and a style that stays
# distinguishable in grayscale: colors (Okabe-Ito based) spread over CIE
# lightness L* 0 (STATEWIDE), 24 (DUAL), 39 (PS), 54 (JJ), 64 (NOT_INVOLVED),
# 70 (COURT_INVOLVED), 77 (PS_CUSTODY), each also with its own marker, line
# style and bar hatch (tests/python/test_report.py checks the spread).
GROUPS: tuple[str, ...] = ("STATEWIDE", "NOT_INVOLVED", "PS", "PS_CUSTODY", "JJ", "DUAL", "COURT_INVOLVED")
REFERENCE_GROUP = "NOT_INVOLVED"
GROUP_LABELS: dict[str, str] = {
    "STATEWIDE": "All students statewide",
    "NOT_INVOLVED": "Not involved (neither PS nor JJ)",
    "PS": "Protective services (PS)",
    "PS_CUSTODY": "PS, in custody",
    "JJ": "Juvenile justice (JJ)",
    "DUAL": "Dual-involved (PS and JJ)",
    "COURT_INVOLVED": "Court-involved (AOC lens)",
}
GROUP_STYLE: dict[str, dict[str, object]] = {
    "STATEWIDE": {"color": "#000000", "marker": "o", "linestyle": "-", "hatch": ""},
    "NOT_INVOLVED": {"color": "#9a9a9a", "marker": "s", "linestyle": (0, (5, 2)), "hatch": ".."},
    "PS": {"color": "#005f99", "marker": "^", "linestyle": (0, (7, 1.5)), "hatch": "//"},
    "PS_CUSTODY": {"color": "#80c8f0", "marker": "v", "linestyle": (0, (1, 1.5)), "hatch": "\\\\"},
    "JJ": {"color": "#d55e00", "marker": "D", "linestyle": (0, (6, 2, 1, 2)), "hatch": "xx"},
    "DUAL": {"color": "#6a1a45", "marker": "P", "linestyle": (0, (3, 1, 1, 1, 1, 1)), "hatch": "--"},
    "COURT_INVOLVED": {"color": "#3fbf8f", "marker": "X", "linestyle": (0, (2, 2)), "hatch": "++"},
}

BREAKDOWN_LABELS: dict[str, str] = {
    "total": "all students",
    "grade_band": "grade band",
    "sex": "sex",
    "race_ethnicity": "race/ethnicity",
    "county": "county",
}
# If a measure's chosen breakdown has no rows, the first of these that has.
BREAKDOWN_FALLBACK: tuple[str, ...] = ("grade_band", "sex", "race_ethnicity", "county")
# Small multiples wider than this are cut to the values with the largest
# statewide denominators (the rest stay in the data table below the chart).
MAX_PANELS = 8

# Summary wording: a change of the gap smaller than this (in the measure's
# units: percentage points, schools or incidents per 100) is "about the same".
GAP_STEADY_WITHIN = 1.0
GAP_STEADY_WITHIN_MEAN = 0.05

# How groups are named inside summary sentences.
GROUP_PHRASES: dict[str, str] = {
    "STATEWIDE": "all students statewide",
    "NOT_INVOLVED": "students not involved",
    "PS": "students in protective services",
    "PS_CUSTODY": "students in protective-services custody",
    "JJ": "students in juvenile justice",
    "DUAL": "dual-involved students",
    "COURT_INVOLVED": "court-involved students",
}
# Groups compared with NOT_INVOLVED in the summaries.
# The research design's involved groups come first; the court lens (AOC) is used in a summary sentence only
# when none of them can be compared.
INVOLVED_GROUPS: tuple[str, ...] = ("PS", "PS_CUSTODY", "JJ", "DUAL")
LENS_GROUPS: tuple[str, ...] = ("COURT_INVOLVED",)
