"""Robustness: forged and hostile input, fuzzing, Slack and the database failing under the app."""
