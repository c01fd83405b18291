"""The workspace's guard-rail switches in `/okr settings`, named once for the modal, the read-only
view and the announcement of a change. Both are off until a workspace admin switches them on."""

OWNER_SOURCES = "Owners may connect their key results and KPIs to data sources"
UNATTENDED_STEPS = "Unattended workflow steps"
