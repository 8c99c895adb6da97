"""Evaluation: the evaluators, their data, and loading the model to evaluate."""
