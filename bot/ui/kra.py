"""Everything KRA-shaped people see: modals, lists, details, confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.domain.numbers import format_number
from bot.domain.references import RefKind, format_ref
from bot.domain.stability import CHURN_NOTE, NEXT_YEAR_TEST
from bot.forms.kra import MAX_KPIS, TITLE_MAX
from bot.ids import Block, Callback
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    VIEW_BLOCKS,
    context,
    divider,
    ephemeral,
    fit,
    header,
    local_day,
    plain_user_text,
    section,
    user_text,
)
from bot.ui.inputs import channel_input, modal, radio_input, select_input, text_input, user_input
from storage.models import Direction, Kpi, KpiMeasurement, Kra, KraReview, Objective, ReviewDecision

USAGE = """*`/kra` — your Key Result Areas and the KPIs that measure them*
• `/kra add [title]` — declare a KRA (opens a form)
• `/kra list [@person | #channel | all]` — KRAs with their KPIs (default: yours)
• `/kra show KRA-3` — one KRA: KPIs, their history, its objectives
• `/kra edit KRA-3` · `/kra archive KRA-3`
• `/kra kpi KPI-7 42 [note]` — log a KPI measurement
• `/kra review` — the quarterly review: keep, change or retire each of your KRAs
• `/kra report [@person] [period]` — a review pack for a performance conversation, sent by DM
• `/kra reviewer @someone` — let someone (your manager) have your review pack
• `/kra help` — this text"""

# A view holds 100 blocks: the intro, four per KRA, and a note of how many more.
REVIEW_KRAS_PER_VIEW = (VIEW_BLOCKS - 2) // 4

DIRECTIONS = [(Direction.HIGHER.value, "Higher is better"), (Direction.LOWER.value, "Lower is better")]
REVIEW_CHOICES = [
    (ReviewDecision.KEEP.value, "Keep"),
    (ReviewDecision.CHANGE.value, "Change"),
    (ReviewDecision.RETIRE.value, "Retire"),
]


def kra_ref(kra: Kra) -> str:
    return format_ref(RefKind.KRA, kra.number)


def kpi_ref(kpi: Kpi) -> str:
    return format_ref(RefKind.KPI, kpi.number)


def kra_modal(
    *,
    owner_id: str,
    kra: Kra | None = None,
    kpis: Sequence[Kpi] = (),
    title: str = "",
    private_metadata: str = "",
) -> dict:
    """The New KRA form, or the Edit form prefilled from `kra` and its `kpis`."""
    blocks = [
        text_input(
            Block.KRA_TITLE,
            "Title",
            initial=(kra.title if kra else title)[:TITLE_MAX],
            max_length=TITLE_MAX,
            placeholder="An outcome you own, e.g. Customer satisfaction",
            hint=NEXT_YEAR_TEST,
        ),
        text_input(
            Block.KRA_DESCRIPTION,
            "Description",
            initial=kra.description if kra else None,
            multiline=True,
            optional=True,
            max_length=3000,
        ),
        user_input(Block.KRA_OWNER, "Owner", initial=kra.owner_id if kra else owner_id),
        text_input(Block.KRA_ROLE, "Role", initial=kra.role if kra else None, optional=True, max_length=150),
        channel_input(Block.KRA_CHANNEL, "Team channel", initial=kra.channel_id if kra else None),
    ]
    for n in range(1, MAX_KPIS + 1):
        kpi = kpis[n - 1] if n <= len(kpis) else None
        blocks += [
            divider(),
            context(f"*KPI {n}* (optional) — how you will know this area is going well"),
            text_input(Block.KPI_NAME.of(n=n), f"KPI {n} name", initial=kpi.name if kpi else None, optional=True, max_length=TITLE_MAX),
            text_input(
                Block.KPI_TARGET.of(n=n),
                f"KPI {n} target",
                initial=format_number(kpi.target) if kpi else None,
                optional=True,
                placeholder="e.g. 50, 95%, $1,200",
            ),
            text_input(Block.KPI_UNIT.of(n=n), f"KPI {n} unit", initial=kpi.unit if kpi else None, optional=True, max_length=30),
            select_input(
                Block.KPI_DIRECTION.of(n=n),
                f"KPI {n} direction",
                DIRECTIONS,
                initial=(kpi.direction if kpi else Direction.HIGHER).value,
                optional=True,
            ),
        ]
    if kra:
        return modal(Callback.KRA_EDIT, f"Edit {kra_ref(kra)}", blocks, private_metadata=private_metadata)
    return modal(Callback.KRA_NEW, "New KRA", blocks, submit="Create", private_metadata=private_metadata)


def review_modal(
    kras: Sequence[Kra], kpis: dict[int, list[Kpi]], *, standing: dict[int, str] | None = None, churning: bool = False
) -> dict:
    """`standing`: KRA id → how long it has stood; `churning`: the set changed at the last two
    reviews, which earns a gentle note with the seeds' test (never a refusal)."""
    intro = (
        "Once a quarter, look at each area you own: does it still describe what you are accountable for? "
        "*Keep* it, *change* it (say how), or *retire* it (its history stays)."
    )
    if churning:
        intro += "\n\n:seedling: " + CHURN_NOTE
    blocks: list[dict] = [section(intro)]
    standing = standing or {}
    # Whole KRAs only (four blocks each), the longest unreviewed first, so that recording these and
    # running `/kra review` again brings up the rest.
    ordered = sorted(kras, key=lambda k: (k.reviewed_at is not None, k.reviewed_at or datetime.min, k.number))
    shown = ordered[:REVIEW_KRAS_PER_VIEW]
    for kra in shown:
        names = ", ".join(user_text(k.name, 60) for k in kpis.get(kra.id, [])) or "no KPIs yet"
        blocks += [
            divider(),
            section(f"*{kra_ref(kra)} {user_text(kra.title, 150)}*{_standing(standing, kra)}\nKPIs: {names}"),
            radio_input(Block.REVIEW_DECISION.of(id=kra.id), "Decision", REVIEW_CHOICES, initial="keep"),
            text_input(Block.REVIEW_NOTE.of(id=kra.id), "Note", optional=True, multiline=True, max_length=3000),
        ]
    more = len(ordered) - len(shown)
    if more:
        blocks.append(
            context(
                f"…and {more} more KRA{'s' if more != 1 else ''}: record these, then run `/kra review` again "
                "for the rest."
            )
        )
    return modal(Callback.KRA_REVIEW, "Quarterly KRA review", blocks, submit="Record review")


def _standing(standing: dict[int, str], kra: Kra) -> str:
    return f" · _{standing[kra.id]}_" if kra.id in standing else ""


def kpi_line(kpi: Kpi) -> str:
    latest = format_number(kpi.latest_value, kpi.unit) if kpi.latest_value is not None else "no value yet"
    arrow = "↑" if kpi.direction == Direction.HIGHER else "↓"
    return f"• `{kpi_ref(kpi)}` {user_text(kpi.name, 150)}: *{latest}* (target {arrow} {format_number(kpi.target, kpi.unit)})"


def kra_summary(kra: Kra, kpis: Sequence[Kpi]) -> str:
    role = f" · {user_text(kra.role, 100)}" if kra.role else ""
    channel = f" · <#{kra.channel_id}>" if kra.channel_id else ""
    lines = [f"*`{kra_ref(kra)}` {user_text(kra.title, 150)}* — <@{kra.owner_id}>{role}{channel}"]
    lines += [kpi_line(kpi) for kpi in kpis] or ["_No KPIs yet: `/kra edit` to add 1–3._"]
    return "\n".join(lines)


def kra_list(title: str, kras: Sequence[Kra], kpis: dict[int, list[Kpi]], total: int) -> dict:
    if not kras:
        return ephemeral(f"{title}: no active KRAs yet. Declare one with `/kra add`.")
    blocks = [header(plain_user_text(title, 150))] + [section(kra_summary(kra, kpis.get(kra.id, []))) for kra in kras]
    more = total - len(kras)
    if more > 0:
        blocks.append(context(f"…and {more} more not shown. Narrow it with `/kra list @person` or see App Home."))
    blocks = fit(blocks, MESSAGE_BLOCKS, "…and {count} more not shown. Narrow it with `/kra list @person`.")
    fallback = f"{title}: " + "; ".join(f"{kra_ref(k)} {user_text(k.title, 100)}" for k in kras[:20])
    return ephemeral(fallback, blocks)


def kra_detail(
    kra: Kra,
    kpis: Sequence[Kpi],
    history: dict[int, list[KpiMeasurement]],
    objectives: Sequence[Objective],
    review: KraReview | None,
    tz: ZoneInfo = UTC,
) -> dict:
    """`/kra show`; `tz` is the reader's, for the dates they read."""
    status = "" if kra.status.value == "active" else f" _({kra.status.value})_"
    blocks = [header(f"{kra_ref(kra)} {plain_user_text(kra.title, 140)}"), section(kra_summary(kra, []).split("\n")[0] + status)]
    if kra.description:
        blocks.append(section(user_text(kra.description, 2900)))
    for kpi in kpis:
        points = history.get(kpi.id, [])
        trail = " → ".join(format_number(m.value, kpi.unit) for m in reversed(points)) or "no measurements yet"
        blocks.append(section(f"{kpi_line(kpi)}\n   _history:_ {trail}"))
    if not kpis and kra.status.value == "active":
        blocks.append(context("No KPIs yet: add 1–3 with `/kra edit " + kra_ref(kra) + "`."))
    if objectives:
        lines = [f"• `{format_ref(RefKind.OBJ, o.number)}` {user_text(o.title, 150)} ({o.cycle})" for o in objectives]
        blocks.append(section("*Objectives in this area*\n" + "\n".join(lines)))
    reviewed = (
        f"Last reviewed {local_day(review.reviewed_at, tz)} ({review.decision.value})" if review else "Not reviewed yet"
    )
    if kra.status.value == "active":
        blocks.append(context(f"{reviewed} · `/kra edit {kra_ref(kra)}` · `/kra kpi KPI-n VALUE`"))
    else:
        # Editing and logging are refused on an archived KRA: offer only what still works.
        blocks.append(context(f"{reviewed} · archived: its history is kept · `/kra list` shows the active ones"))
    return ephemeral(f"{kra_ref(kra)} {user_text(kra.title, 150)}", fit(blocks, MESSAGE_BLOCKS, "…and {count} more."))


def saved_message(verb: str, kra: Kra, notes: Sequence[str]) -> str:
    text = f"{verb} *`{kra_ref(kra)}` {user_text(kra.title, 150)}*."
    if notes:
        text += "\n" + "\n".join(f":bulb: {note}" for note in notes)
    return text


def review_recorded(done: Sequence[tuple[Kra, object]]) -> str:
    lines = [f"• `{kra_ref(kra)}` {user_text(kra.title, 100)}: *{item.decision.value}*" for kra, item in done]
    changes = [kra_ref(kra) for kra, item in done if item.decision == ReviewDecision.CHANGE]
    text = "Quarterly review recorded:\n" + "\n".join(lines)
    if changes:
        text += "\nNext: `/kra edit " + changes[0] + "` to make the change."
    return text
