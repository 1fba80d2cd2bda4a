"""Record linkage: find the same child across CYFD, PED and AOC (the matched layer).

- `settings`  every rule in one place: features, blocking rules, comparisons,
  training passes, deterministic rules, thresholds, clustering constraints.
- `features`  the SQL that turns the three identity models into Splink's input.
- `train`     `datashare train-linkage`: estimate and save the model + diagnostics.
- `score`     scoring with the saved model and constrained clustering (called by
  the dbt Python models in models/matched).
- `evaluate`  `datashare evaluate-linkage`: pairwise precision/recall/F1 against truth.
- `review`    `datashare review-linkage`: record clerical decisions outside the repo.
"""
