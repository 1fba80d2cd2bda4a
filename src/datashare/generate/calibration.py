"""Calibration targets of the synthetic population (one place).

Each measure has a target rate for STATEWIDE, PS (dual included) and JJ (dual
included), computed by the definitions of research-design.md. The generator
solves, per school year, the rates of the four disjoint involvement categories
(none, PS only, JJ only, dual) so that the three group rates come out at the
targets: dual youth get the worse of the PS and JJ figures, PS only and JJ
only absorb the rest, and NOT_INVOLVED takes whatever makes STATEWIDE right.

Reference figures (research-design.md): foster youth vs all students, ELA
proficiency 24-29% vs 51-53%, 4-year graduation 35-58% vs 84-85% (New Mexico
69-77%: we use 75%), chronic absence 25-28% vs 10-12% (New Mexico 33% in
2023-24: we use 31% statewide with PS and JJ clearly higher), suspension 15%
vs 3%, changing schools within the year 1/3 vs 1/20, special education about
twice the statewide rate; JJ custody special education 37%+ and graduation far
below statewide.
"""

from __future__ import annotations

import numpy as np

# measure -> (STATEWIDE, PS, JJ); "higher_is_worse" decides what dual youth get.
TARGETS: dict[str, tuple[float, float, float]] = {
    "special_ed_rate": (0.16, 0.30, 0.40),
    "mobility_rate": (0.05, 0.33, 0.30),
    "chronic_absence_rate": (0.31, 0.50, 0.60),
    "out_of_school_suspension_rate": (0.03, 0.15, 0.25),
    "proficiency_rate_ela": (0.50, 0.27, 0.20),
    "proficiency_rate_math": (0.40, 0.20, 0.14),
    "proficiency_rate_science": (0.38, 0.20, 0.15),
    "graduation_rate_4yr": (0.75, 0.45, 0.35),
}
HIGHER_IS_WORSE = {
    "special_ed_rate": True,
    "mobility_rate": True,
    "chronic_absence_rate": True,
    "out_of_school_suspension_rate": True,
    "proficiency_rate_ela": False,
    "proficiency_rate_math": False,
    "proficiency_rate_science": False,
    "graduation_rate_4yr": False,
}
# Tolerance (absolute, rate points) the tests allow on a mid-size drop.
TOLERANCE = 0.04


def category_rates(measure: str, counts: np.ndarray) -> np.ndarray:
    """Rates for the categories (none, PS only, JJ only, dual) given their counts.

    Solves so that PS (= PS only + dual), JJ (= JJ only + dual) and STATEWIDE
    (= all four) hit the targets of `measure`.
    """
    state, ps, jj = TARGETS[measure]
    n0, n1, n2, n3 = (float(c) for c in counts)
    worse = max if HIGHER_IS_WORSE[measure] else min
    p3 = worse(ps, jj)
    p1 = (ps * (n1 + n3) - p3 * n3) / n1 if n1 > 0 else ps
    p2 = (jj * (n2 + n3) - p3 * n3) / n2 if n2 > 0 else jj
    p1, p2 = min(max(p1, 0.0), 1.0), min(max(p2, 0.0), 1.0)
    total = n0 + n1 + n2 + n3
    p0 = (state * total - p1 * n1 - p2 * n2 - p3 * n3) / n0 if n0 > 0 else state
    p0 = min(max(p0, 0.0), 1.0)
    return np.array([p0, p1, p2, p3])
