"""Synthetic statewide New Mexico extract drops (CYFD, PED, AOC) with ground truth.

`generate_drop(out, students=..., years="2021-2024", seed=..., noise="default")`
writes out/drop/<every contract file>.csv plus out/truth/person_xref.csv and
out/truth/identity_noise.csv. See docs/generator.md.
"""

from .drop import NOISE_LEVELS, generate_drop

__all__ = ["NOISE_LEVELS", "generate_drop"]
