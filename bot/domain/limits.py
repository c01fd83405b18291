"""How long each field people type may be, and how many items a record holds: one table that
the modals (bot/ui), their forms (bot/forms), the importer and the REST API schemas share, so
a value one of them accepts is never refused by another."""

TITLE_MAX = 150  # an objective's, key result's or KRA's title
UNIT_MAX = 30  # a key result's or KPI's unit
DESCRIPTION_MAX = 3000  # an objective's or KRA's description
NOTE_MAX = 3000  # a check-in's, measurement's or review's note
ROLE_MAX = 150  # a KRA's role
CYCLE_MAX = 16  # "2026-Q4", "FY2027-Q1": room to spare

MAX_KEY_RESULTS = 5  # per objective

SPRINT_NAME_MAX = 150
SPRINT_GOAL_MAX = 500
SPRINT_KEY_RESULTS_MAX = 10  # a sprint that "serves" more has no focus, and `show` must fit a message
MAX_KPIS = 3  # per KRA
