"""Ask Northline's language model: the operator's OpenAI-compatible endpoint (model.py) and what
is sent to it (prompt.py). Off unless the operator declares one; docs/ai.md."""
