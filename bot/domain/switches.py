"""The workspace's guard-rail switches in `/okr settings`, named once for the modal, the read-only
view and the announcement of a change. The first two are off until a workspace admin switches them
on; the language model is on (the operator declaring one is the opt-in) until an admin switches it off."""

OWNER_SOURCES = "Owners may connect their key results and KPIs to data sources"
UNATTENDED_STEPS = "Unattended workflow steps"
AI_ANSWERS = "Ask Northline may word answers with the server's language model"
