"""Ways in from other tools: each reads its files, maps them to a plan, and applies the plan
through the services' writers (viva/: a Viva Goals export)."""
