"""`northline import --from viva FILE`: objectives, key results and check-ins out of a Viva Goals
workbook (.xlsx) or its CSV form, in four steps, each its own module:

    read.py     the export's files → plain rows (`Sheets`); no database, no Slack
    people.py   who is who: the emails the export names → Slack user ids (the owners file, then
                users.lookupByEmail), resolved before any transaction
    plan.py     rows + owners → a plan (`VivaPlan`: the OKR file's document, the check-ins, the rows
                left out), pure; `check` runs the OKR file's rules over it
    apply.py    `import_plan`: the plan written in one transaction; a plain `VivaResult` back

The CLI (bot/cli/viva.py) reads the files, resolves the owners with the workspace's Slack client,
then plans, checks and applies. The names callers use are here (`viva.read_workbook`,
`viva.check`, …); the planner is `viva.plan.plan` (the module keeps its name).
"""

from bot.importers.viva.apply import VivaResult, import_plan
from bot.importers.viva.people import (
    NO_EMAIL_SCOPE,
    EmailLookup,
    LookupRefused,
    owner_emails,
    read_owner_map,
    resolve_owners,
)
from bot.importers.viva.plan import KEY_PREFIX, Unmapped, VivaPlan, check
from bot.importers.viva.read import Row, Sheets, read_csv, read_workbook

__all__ = [
    "KEY_PREFIX",
    "NO_EMAIL_SCOPE",
    "EmailLookup",
    "LookupRefused",
    "Row",
    "Sheets",
    "Unmapped",
    "VivaPlan",
    "VivaResult",
    "check",
    "import_plan",
    "owner_emails",
    "read_csv",
    "read_owner_map",
    "read_workbook",
    "resolve_owners",
]
