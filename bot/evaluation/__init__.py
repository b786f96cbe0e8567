"""Measure the NLU: held-out test set, baseline, cross-validation of candidate pipelines."""
