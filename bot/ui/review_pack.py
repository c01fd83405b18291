"""A KRA review pack as people read it: DM messages (each inside Slack's limits), a Markdown
document for a review file, and the numbers of its chart. Pure functions of a ReviewPack."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.domain.numbers import format_number
from bot.domain.progress import percent
from bot.domain.review_pack import Trend, attainment
from bot.ui.blocks import (
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_BUDGET,
    context,
    divider,
    header,
    plain_user_text,
    section,
    text_size,
    user_text,
)
from bot.ui.dates import people_date, people_range

if TYPE_CHECKING:
    from bot.services.review_pack import KpiLine, KraSection, ObjectiveLine, ReviewPack

CHART_MAX_BARS = 60  # 60 rows still read at 100 dpi; more are counted, not drawn


# --- words shared by the DM and the document ------------------------------------------------------


def _value(value: float | None, unit: str) -> str:
    return "–" if value is None else format_number(value, unit)


def _target(kpi: KpiLine) -> str:
    arrow = "↑" if kpi.higher_is_better else "↓"
    way = "higher is better" if kpi.higher_is_better else "lower is better"
    return f"target {arrow} {format_number(kpi.target, kpi.unit)}, {way}"


def _reading(kpi: KpiLine) -> str:
    """What the period says of a KPI, in words that read right whichever way it runs."""
    r = kpi.reading
    if r.trend == Trend.NO_DATA:
        if r.end is None:
            return "no measurement yet"
        return f"no measurement in this period; last known {format_number(r.end, kpi.unit)}"
    if r.trend == Trend.SINGLE:
        moved = f"one measurement: {format_number(r.end, kpi.unit)}"
    else:
        moved = f"{_value(r.start, kpi.unit)} → {_value(r.end, kpi.unit)}, {r.trend.value}"
    if r.on_target:
        standing = "on target"
    elif r.attainment is not None:
        standing = f"{round(r.attainment)}% of target"
    else:
        standing = "not on target"
    return f"{moved} · {standing}"


def _objective(line: ObjectiveLine) -> str:
    if line.closed:
        state = f"closed, final score {line.score:.1f}" if line.score is not None else "closed"
    else:
        state = f"{percent(line.progress)}% so far"
    return state


def _check_ins(kept: int, missed: int) -> str:
    if not kept and not missed:
        return "no weekly check-ins due yet"
    return f"weekly check-ins: {kept} kept, {missed} missed"


def _archived(section_: KraSection, tz: ZoneInfo) -> str:
    return f"archived {people_date(section_.archived_at, tz=tz)}" if section_.archived_at else ""


# --- Slack -------------------------------------------------------------------------------------


def _kra_blocks(kra: KraSection, tz: ZoneInfo) -> list[dict]:
    title = f"*`{kra.ref}` {user_text(kra.title, 150)}*"
    facts = [f"declared {people_date(kra.created_at, tz=tz)}"]
    if kra.role:
        facts.insert(0, user_text(kra.role, 100))
    if archived := _archived(kra, tz):
        facts.append(f"_{archived}_")
    blocks = [divider(), section(f"{title}\n{' · '.join(facts)}")]
    if kra.kpis:
        lines = []
        for kpi in kra.kpis:
            dropped = " _(KPI archived)_" if kpi.archived else ""
            lines.append(
                f"• `{kpi.ref}` {user_text(kpi.name, 100)}{dropped} ({user_text(_target(kpi), 80)}): "
                f"{user_text(_reading(kpi), 200)}"
            )
        blocks.append(section("*KPIs*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*KPIs*\nNone measured this area in the period."))
    if kra.objectives:
        lines = [
            f"• `{o.ref}` {user_text(o.title, 120)} ({user_text(o.cycle, 16)}): {_objective(o)}"
            for o in kra.objectives
        ]
        lines.append(f"_{_check_ins(kra.kept, kra.missed)}_")
        blocks.append(section("*Objectives inside it*\n" + "\n".join(lines)))
    else:
        blocks.append(section("*Objectives inside it*\nNone in this period."))
    if kra.reviews:
        notes = []
        for review in kra.reviews:
            note = f": “{user_text(review.note, 300)}”" if review.note else ""
            notes.append(
                f"*{review.decision.value}* on {people_date(review.reviewed_at, tz=tz)} by <@{review.reviewer_id}>{note}"
            )
        blocks.append(context("Reviews: " + " · ".join(notes)))
    else:
        blocks.append(context("Reviews: none recorded in this period."))
    return blocks


def pack_messages(pack: ReviewPack, tz: ZoneInfo = UTC) -> list[dict]:
    """The pack as DM messages ({text, blocks}), the KRAs in order and each KRA whole in one
    message, every message within 50 blocks and the text budget Slack accepts."""
    period = pack.period
    name = user_text(pack.person_name, 100)
    intro = [
        header(f"KRA review pack: {plain_user_text(pack.person_name, 80)}, {period.label}"),
        section(
            f"{name} · {people_range(period.start.date(), period.last_day)} · "
            f"{_count(len(pack.kras), 'KRA')}, {_count(pack.kpi_count, 'KPI')}.\n"
            "Walk through each area: what its KPIs say, what the objectives inside it achieved, "
            "how the check-ins went, and what was decided at its reviews."
        ),
    ]
    groups = [_kra_blocks(kra, tz) for kra in pack.kras]
    messages: list[list[dict]] = [intro]
    for group in groups:
        current = messages[-1]
        if (
            len(current) + len(group) > MESSAGE_BLOCKS
            or text_size(current) + text_size(group) > MESSAGE_TEXT_BUDGET
        ):
            messages.append(group[1:])  # no divider at the top of a message
        else:
            current.extend(group)
    total = len(messages)
    fallback = f"KRA review pack for {name}, {user_text(period.label, 40)}"
    return [
        {"text": fallback + (f" (part {n} of {total})" if total > 1 else ""), "blocks": blocks}
        for n, blocks in enumerate(messages, start=1)
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


# --- the chart's numbers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiBar:
    label: str
    end: float  # percent of target, direction-aware
    start: float | None
    trend: str


@dataclass(frozen=True)
class KpiChart:
    title: str
    bars: tuple[KpiBar, ...]
    left_out: int  # KPIs with a value that did not fit, or with no scale (target 0)


def chart_of(pack: ReviewPack) -> KpiChart:
    bars = []
    unscaled = 0
    for kra in pack.kras:
        for kpi in kra.kpis:
            reading = kpi.reading
            if not reading.measured:
                continue  # the chart shows what the period measured; the text says what was known
            if reading.attainment is None:
                unscaled += 1
                continue
            start = None
            if reading.start is not None and reading.trend not in (Trend.SINGLE, Trend.NO_DATA):
                start = attainment(reading.start, kpi.target, kpi.higher_is_better)
            bars.append(
                KpiBar(
                    f"{kpi.ref} {plain_user_text(kpi.name, 40)}",
                    reading.attainment,
                    start,
                    reading.trend.value,
                )
            )
    shown = tuple(bars[:CHART_MAX_BARS])
    title = f"{plain_user_text(pack.person_name, 60)}: KPIs against their targets, {pack.period.label}"
    return KpiChart(title, shown, unscaled + len(bars) - len(shown))


def chart_comment(chart: KpiChart) -> str:
    text = (
        f"Each KPI's latest value in the period as a share of its target (100% = on target; a lower-is-better "
        f"KPI reads the same way, so more is always better); the dot is where it began. {len(chart.bars)} KPIs."
    )
    if chart.left_out:
        text += (
            f" {chart.left_out} more not drawn (a target of 0 has no scale, or past {CHART_MAX_BARS} rows)."
        )
    return text


# --- Markdown ------------------------------------------------------------------------------------------

_MARKDOWN_SPECIALS = set("\\`*_[]<>|#~!")


def md(text: str | None, limit: int = 300) -> str:
    """What a person typed, as literal text in Markdown: one line, its markup characters escaped."""
    flat = " ".join((text or "").split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return "".join("\\" + c if c in _MARKDOWN_SPECIALS else c for c in flat)


def _day(moment) -> str:
    """A day in the document: the plain style of bot/ui/dates.py (a file has no Slack tokens)."""
    return people_date(moment, mrkdwn=False)


def pack_markdown(pack: ReviewPack, names: dict[str, str] | None = None) -> str:
    """The same pack for a review document. `names`: Slack user id → name, for reviewers."""
    names = names or {}
    period = pack.period
    lines = [
        f"# KRA review pack: {md(pack.person_name, 100)}, {md(period.label, 40)}",
        "",
        f"Period {people_range(period.start, period.last_day, mrkdwn=False)} · "
        f"{_count(len(pack.kras), 'KRA')}, {_count(pack.kpi_count, 'KPI')} · "
        f"prepared {_day(pack.generated_at)}",
        "",
    ]
    if not pack.kras:
        lines += [f"{md(pack.person_name, 100)} had no KRAs in this period.", ""]
    for kra in pack.kras:
        lines += [f"## {kra.ref} {md(kra.title, 150)}", ""]
        facts = [f"declared {_day(kra.created_at)}"]
        if kra.role:
            facts.insert(0, f"role: {md(kra.role, 100)}")
        if kra.archived_at:
            facts.append(f"archived {_day(kra.archived_at)}")
        lines += ["; ".join(facts).capitalize(), "", "### KPIs", ""]
        if kra.kpis:
            lines += ["| KPI | Start | End | Target | Reading |", "| --- | --- | --- | --- | --- |"]
            for kpi in kra.kpis:
                dropped = " (archived)" if kpi.archived else ""
                r = kpi.reading
                lines.append(
                    f"| {kpi.ref} {md(kpi.name, 100)}{dropped} | {md(_value(r.start, kpi.unit))} | "
                    f"{md(_value(r.end, kpi.unit))} | {md(_target(kpi))} | {md(_reading(kpi))} |"
                )
        else:
            lines.append("None measured this area in the period.")
        lines += ["", "### Objectives inside it", ""]
        if kra.objectives:
            lines += [
                f"- {o.ref} {md(o.title, 150)} ({md(o.cycle, 16)}): {_objective(o)}" for o in kra.objectives
            ]
            lines += ["", f"{_check_ins(kra.kept, kra.missed).capitalize()}."]
        else:
            lines.append("None in this period.")
        lines += ["", "### Review decisions", ""]
        if kra.reviews:
            for review in kra.reviews:
                who = md(names.get(review.reviewer_id) or review.reviewer_id, 100)
                note = f": {md(review.note, 1000)}" if review.note else ""
                lines.append(f"- {_day(review.reviewed_at)} **{review.decision.value}** by {who}{note}")
        else:
            lines.append("None recorded in this period.")
        lines.append("")
    return "\n".join(lines)


def sent_summary(pack: ReviewPack, messages: Sequence[dict], chart_sent: bool, *, own: bool) -> str:
    whose = "your" if own else f"<@{pack.person_id}>'s"
    parts = [_count(len(pack.kras), "KRA"), _count(pack.kpi_count, "KPI")]
    tail = " and a chart of the KPIs against their targets" if chart_sent else ""
    return (
        f"Sent you {whose} review pack for {user_text(pack.period.label, 40)} in a DM "
        f"({', '.join(parts)}; {_count(len(messages), 'message')}{tail})."
    )
