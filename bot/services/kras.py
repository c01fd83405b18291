"""What people do with KRAs and KPIs: declare, edit, archive, measure, review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.coaching import kra_coaching
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.errors import Conflict, Invalid, NotFound, Usage
from bot.forms.kra import KraForm, ReviewItem
from bot.services.members import member, reader_zone, require_owner_or_admin
from bot.services.workspaces import next_number
from storage.models import Kpi, KpiMeasurement, Kra, KraReview, ReviewDecision, Status, Workspace
from storage.repositories import kras as repo
from storage.repositories.kras import ListedKpi


@dataclass
class Saved:
    kra: Kra
    notes: list[str]


def find_kra(session: Session, workspace: Workspace, reference: str) -> Kra:
    try:
        number = parse_ref(reference, RefKind.KRA)
    except ValueError as error:
        raise Usage(f"{error}. Try `/kra show KRA-3`; `/kra list` shows your KRAs.") from None
    kra = repo.kra_by_number(session, workspace.id, number)
    if kra is None:
        raise NotFound(f"{format_ref(RefKind.KRA, number)} was not found in this workspace.")
    return kra


def create_kra(
    session: Session, workspace: Workspace, actor_id: str, form: KraForm, *, creation_key: str | None = None
) -> Saved:
    """`creation_key` ("view:<view id>"): the same submission delivered twice creates one KRA; the
    second is refused with a Conflict that names it, and its transaction (the number too) rolls back."""
    if creation_key and (done := repo.kra_by_creation_key(session, workspace.id, creation_key)):
        raise Conflict(_already_created(done))
    kra = Kra(
        workspace_id=workspace.id,
        number=next_number(session, workspace.id, RefKind.KRA),
        title=form.title,
        description=form.description,
        owner_id=form.owner_id,
        role=form.role,
        channel_id=form.channel_id,
        created_by=actor_id,
        creation_key=creation_key,
    )
    try:
        with session.begin_nested():
            session.add(kra)
    except IntegrityError:  # the other delivery of the same form, a moment ago
        done = repo.kra_by_creation_key(session, workspace.id, creation_key) if creation_key else None
        if done is None:
            raise
        raise Conflict(_already_created(done)) from None
    for position, kpi_form in enumerate(form.kpis):
        session.add(_new_kpi(session, workspace, kra, kpi_form, position))
    session.flush()
    return Saved(kra, _coach(session, workspace, kra, len(form.kpis)))


def _already_created(kra: Kra) -> str:
    return f"This form was already saved as {format_ref(RefKind.KRA, kra.number)}; it counts once."


def update_kra(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    number: int,
    form: KraForm,
) -> Saved:
    """Apply the edit modal. KPI rows map to the KRA's active KPIs in order; a cleared row archives one."""
    kra = repo.kra_by_number(session, workspace.id, number)
    if kra is None or kra.status != Status.ACTIVE:
        raise NotFound(f"{format_ref(RefKind.KRA, number)} was not found in this workspace.")
    # Checked again on submit: the modal's private_metadata is only a hint, never trusted.
    require_owner_or_admin(session, workspace, actor_id, kra.owner_id, kra.created_by)
    kra.title, kra.description, kra.role = form.title, form.description, form.role
    kra.owner_id, kra.channel_id = form.owner_id, form.channel_id
    existing = repo.kpis_of(session, [kra.id]).get(kra.id, [])
    for position, kpi_form in enumerate(form.kpis):
        if position < len(existing):
            kpi = existing[position]
            kpi.name, kpi.unit, kpi.target, kpi.direction = (
                kpi_form.name,
                kpi_form.unit,
                kpi_form.target,
                kpi_form.direction,
            )
            kpi.position = position
        else:
            session.add(_new_kpi(session, workspace, kra, kpi_form, position))
    for kpi in existing[len(form.kpis) :]:
        kpi.status = Status.ARCHIVED
    session.flush()
    return Saved(kra, _coach(session, workspace, kra, len(form.kpis)))


def archive_kra(session: Session, workspace: Workspace, actor_id: str, reference: str) -> Kra:
    kra = find_kra(session, workspace, reference)
    require_owner_or_admin(session, workspace, actor_id, kra.owner_id, kra.created_by)
    if kra.status == Status.ARCHIVED:
        raise Invalid(f"{format_ref(RefKind.KRA, kra.number)} is already archived.")
    kra.status = Status.ARCHIVED
    return kra


def log_measurement(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    reference: str,
    value: float,
    note: str,
    *,
    at: datetime | None = None,
    dedupe_key: str | None = None,
    authorized: bool = False,
    origin: str | None = None,
) -> tuple[Kpi, Kra]:
    """Log one measurement. `dedupe_key` (one per invocation of the command): the same request
    delivered twice is logged once, and the second is told so. `authorized` and `origin` as in
    checkins.record (a write token or a data source)."""
    try:
        number = parse_ref(reference, RefKind.KPI)
    except ValueError as error:
        raise Usage(f"{error}. Try `/kra kpi KPI-7 42 a note`.") from None
    kpi = repo.kpi_by_number(session, workspace.id, number)
    if kpi is None:
        raise NotFound(f"{format_ref(RefKind.KPI, number)} was not found in this workspace.")
    kra = session.get(Kra, kpi.kra_id)
    if kpi.status != Status.ACTIVE or kra.status != Status.ACTIVE:
        raise Invalid(f"{format_ref(RefKind.KPI, number)} is archived; measurements go on active KPIs.")
    if not authorized:
        require_owner_or_admin(session, workspace, actor_id, kra.owner_id)
    now = at or stored_now()
    try:
        with session.begin_nested():
            session.add(
                KpiMeasurement(
                    workspace_id=workspace.id,
                    kpi_id=kpi.id,
                    value=value,
                    note=note,
                    author_id=actor_id,
                    measured_at=now,
                    dedupe_key=dedupe_key,
                    origin=origin,
                )
            )
    except IntegrityError:
        raise Conflict(
            f"That measurement of {format_ref(RefKind.KPI, number)} was already logged "
            "(the same request arrived twice); it counts once."
        ) from None
    if kpi.latest_at is None or now >= kpi.latest_at:
        kpi.latest_value, kpi.latest_at = value, now
    return kpi, kra


def find_kpi(session: Session, workspace: Workspace, reference: str) -> tuple[Kpi, Kra]:
    try:
        number = parse_ref(reference, RefKind.KPI)
    except ValueError as error:
        raise Usage(f"{error}. Try `/kra kpi KPI-7 42 a note`.") from None
    kpi = repo.kpi_by_number(session, workspace.id, number)
    if kpi is None:
        raise NotFound(f"{format_ref(RefKind.KPI, number)} was not found in this workspace.")
    return kpi, session.get(Kra, kpi.kra_id)


def kra_page(
    session: Session, workspace: Workspace, *, owner_id: str | None = None, after: int = 0, limit: int = 50
) -> repo.KraPage:
    """Active KRAs by reference, after KRA-`after`, with their KPIs: three statements at any size."""
    return repo.list_kras(session, workspace.id, owner_id=owner_id, after=after, limit=limit, by_number=True)


def active_kras_of(session: Session, workspace: Workspace, owner_id: str) -> repo.KraPage:
    # All of them (a person owns a handful; 500 bounds a bad import): the review shows them a
    # view at a time, and any of them may be recorded.
    return repo.list_kras(session, workspace.id, owner_id=owner_id, limit=500)


def may_edit(session: Session, workspace: Workspace, actor_id: str, kra: Kra) -> bool:
    """Whether `actor_id` may edit the KRA (its owner, creator or an admin), as kra_to_edit checks."""
    return kra.id in editable(session, workspace, actor_id, [kra])


def editable(session: Session, workspace: Workspace, actor_id: str, kras: list[Kra]) -> set[int]:
    """The ids of the KRAs `actor_id` may edit (owner, creator or an admin, as kra_to_edit
    checks), with one look at the person's row."""
    if member(session, workspace, actor_id).is_admin:
        return {kra.id for kra in kras}
    return {kra.id for kra in kras if actor_id in (kra.owner_id, kra.created_by)}


def kpi_to_log(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[list[tuple[Kpi | ListedKpi, Kra]], int]:
    """The Log a value form's KPIs with the named one picked, for a click on *Log a value* beside
    that KPI (on a message that may be old): it must still exist, it and its KRA be active, and the
    person be its owner or an admin (an admin's form offers it beside their own)."""
    kpi, kra = find_kpi(session, workspace, reference)
    if kra.status != Status.ACTIVE:
        raise Invalid(
            f"{format_ref(RefKind.KRA, kra.number)} is archived; archived KRAs keep their history unchanged."
        )
    if kpi.status != Status.ACTIVE:
        raise Invalid(f"{format_ref(RefKind.KPI, kpi.number)} is archived; measurements go on active KPIs.")
    require_owner_or_admin(session, workspace, actor_id, kra.owner_id)
    kpis = loggable_kpis(session, workspace, actor_id)
    if all(mine.id != kpi.id for mine, _ in kpis):
        kpis.append((kpi, kra))
    return kpis, kpi.number


def loggable_kpis(session: Session, workspace: Workspace, owner_id: str) -> list[tuple[Kpi | ListedKpi, Kra]]:
    """The active KPIs of the person's active KRAs, in the order `/kra list` shows them: what the
    Log a value form offers (log_measurement checks the right again on submit)."""
    page = active_kras_of(session, workspace, owner_id)
    ordered = sorted(page.kras, key=lambda kra: kra.number)
    return [(kpi, kra) for kra in ordered for kpi in page.kpis.get(kra.id, [])]


def record_review(
    session: Session, workspace: Workspace, actor_id: str, items: list[ReviewItem]
) -> list[tuple[Kra, ReviewItem]]:
    """The quarterly review: only the reviewer's own active KRAs count, whatever the form claims."""
    if not items:
        raise Invalid("There was nothing to review.")
    own = {kra.id: kra for kra in active_kras_of(session, workspace, actor_id).kras}
    done: list[tuple[Kra, ReviewItem]] = []
    now = stored_now()
    for item in items:
        kra = own.get(item.kra_id)
        if kra is None:
            raise Invalid("That review no longer matches your KRAs. Run `/kra review` again.")
        session.add(
            KraReview(
                workspace_id=workspace.id,
                kra_id=kra.id,
                decision=item.decision,
                note=item.note,
                reviewer_id=actor_id,
                reviewed_at=now,
            )
        )
        kra.reviewed_at = now
        if item.decision == ReviewDecision.RETIRE:
            kra.status = Status.ARCHIVED
        done.append((kra, item))
    return done


def _new_kpi(session: Session, workspace: Workspace, kra: Kra, form, position: int) -> Kpi:
    return Kpi(
        workspace_id=workspace.id,
        kra_id=kra.id,
        number=next_number(session, workspace.id, RefKind.KPI),
        name=form.name,
        unit=form.unit,
        target=form.target,
        direction=form.direction,
        position=position,
    )


def _coach(session: Session, workspace: Workspace, kra: Kra, kpi_count: int) -> list[str]:
    return kra_coaching(
        active_kra_count=repo.active_kra_count(session, workspace.id, kra.owner_id),
        kpi_count=kpi_count,
        title=kra.title,
    )


# --- reads for /kra's answers ----------------------------------------------------------------------


@dataclass(frozen=True)
class KraDetail:
    kra: Kra
    kpis: list[Kpi]
    measurements: dict
    objectives: list
    last_review: KraReview | None


def list_page(
    session: Session, workspace: Workspace, *, owner_id: str | None = None, channel_id: str | None = None
) -> repo.KraPage:
    """`/kra list`: the KRAs of a person, of a channel, or all of them."""
    return repo.list_kras(session, workspace.id, owner_id=owner_id, channel_id=channel_id)


def kra_detail(session: Session, workspace: Workspace, reference: str) -> KraDetail:
    """`/kra show`: one KRA with its KPIs, their recent history, its objectives and last review."""
    kra = find_kra(session, workspace, reference)
    kpis = repo.kpis_of(session, [kra.id]).get(kra.id, [])
    return KraDetail(
        kra,
        kpis,
        repo.recent_measurements(session, [k.id for k in kpis]),
        repo.objectives_in_kra(session, kra.id),
        repo.last_review(session, kra.id),
    )


def kra_to_edit(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[Kra, list[Kpi]]:
    """The KRA and KPIs for the edit form, for its owner, its creator or an admin; active only."""
    kra = find_kra(session, workspace, reference)
    if kra.status != Status.ACTIVE:
        raise Invalid(
            f"{format_ref(RefKind.KRA, kra.number)} is archived; archived KRAs keep their history unchanged."
        )
    require_owner_or_admin(session, workspace, actor_id, kra.owner_id, kra.created_by)
    return kra, repo.kpis_of(session, [kra.id]).get(kra.id, [])


def kpis_of(session: Session, kra: Kra) -> list[Kpi]:
    """The KRA's KPIs, in order."""
    return repo.kpis_of(session, [kra.id]).get(kra.id, [])


def recent_measurements(session: Session, kpi: Kpi, count: int) -> list[KpiMeasurement]:
    """The KPI's last `count` measurements, newest first (none for 0)."""
    if count <= 0:
        return []
    return repo.recent_measurements(session, [kpi.id], per_kpi=count).get(kpi.id, [])


# --- /kra's answers: one use case each ----------------------------------------------------------


@dataclass(frozen=True)
class KraList:
    """A `/kra list` page and which of its KRAs the reader may edit."""

    page: repo.KraPage
    editable: set[int]


def kra_list(
    session: Session,
    workspace: Workspace,
    reader_id: str,
    *,
    owner_id: str | None = None,
    channel_id: str | None = None,
) -> KraList:
    page = list_page(session, workspace, owner_id=owner_id, channel_id=channel_id)
    return KraList(page, editable(session, workspace, reader_id, page.kras))


@dataclass(frozen=True)
class KraCard:
    """One KRA as `/kra show` prints it, and whether the reader may edit it."""

    detail: KraDetail
    may_edit: bool
    tz: ZoneInfo  # the zone the reader reads dates in


def kra_card(session: Session, workspace: Workspace, reader_id: str, reference: str) -> KraCard:
    detail = kra_detail(session, workspace, reference)
    editable = may_edit(session, workspace, reader_id, detail.kra)
    return KraCard(detail, editable, reader_zone(session, workspace, reader_id))
