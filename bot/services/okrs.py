"""What people do with objectives and key results: create, edit, close, archive, look at them.

Progress and pace of stored rows come from bot.services.assessment (`assess()`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.clock import stored_now
from bot.domain.cycles import parse_cycle
from bot.domain.kr_quality import as_text, count_note, key_result_notes
from bot.domain.limits import MAX_KEY_RESULTS
from bot.domain.references import RefKind, format_ref, parse_ref
from bot.errors import Conflict, Forbidden, Invalid, NotFound, Usage
from bot.forms.okr import KeyResultForm, ObjectiveForm
from bot.ids import Block
from bot.services.assessment import ObjectiveStatus, assess, current_cycle, expected_for
from bot.services.members import member, require_owner_or_admin
from bot.services.workspaces import next_number
from storage.models import (
    CheckIn,
    KeyResult,
    KeyResultKind,
    Kra,
    Objective,
    SourceBinding,
    Sprint,
    Status,
    Workspace,
)
from storage.repositories import okrs as repo
from storage.repositories import sources as source_repo
from storage.repositories import sprints as sprint_repo

# --- finding ------------------------------------------------------------------------------------


def find_objective(session: Session, workspace: Workspace, reference: str) -> Objective:
    try:
        number = parse_ref(reference, RefKind.OBJ)
    except ValueError as error:
        raise Usage(f"{error}. Try `/okr show OBJ-3`; `/okr list` shows your objectives.") from None
    objective = repo.objective_by_number(session, workspace.id, number)
    if objective is None:
        raise NotFound(f"{format_ref(RefKind.OBJ, number)} was not found in this workspace.")
    return objective


def find_key_result(session: Session, workspace: Workspace, reference: str) -> tuple[KeyResult, Objective]:
    try:
        number = parse_ref(reference, RefKind.KR)
    except ValueError as error:
        raise Usage(f"{error}. Try `/okr checkin KR-3 42`; `/okr list` shows your key results.") from None
    found = repo.key_result_by_number(session, workspace.id, number)
    if found is None or found[0].status == Status.ARCHIVED:
        raise NotFound(f"{format_ref(RefKind.KR, number)} was not found in this workspace.")
    return found


def require_objective_rights(
    session: Session, workspace: Workspace, actor_id: str, objective: Objective
) -> None:
    require_owner_or_admin(session, workspace, actor_id, objective.owner_id, objective.created_by)


def may_change(session: Session, workspace: Workspace, actor_id: str, objective: Objective) -> bool:
    """Whether `actor_id` may edit, close or share the objective (its owner, creator or an admin)."""
    return (
        actor_id in (objective.owner_id, objective.created_by)
        or member(session, workspace, actor_id).is_admin
    )


# --- the objective modal -------------------------------------------------------------------------


@dataclass
class ModalChoices:
    cycles: list[str]
    parents: list[Objective]
    kras: list[Kra]


def modal_choices(
    session: Session, workspace: Workspace, owner_id: str, *, objective: Objective | None = None, now=None
) -> ModalChoices:
    """Cycles around the current one, this cycle's active objectives (parents), the owner's KRAs."""
    current = current_cycle(workspace, now)
    cycles = [current.previous(), current, current.next(), current.next().next()]
    names = [c.name for c in cycles]
    if objective is not None and objective.cycle not in names:
        names.insert(0, objective.cycle)
    cycle = objective.cycle if objective is not None else current.name
    parents = [
        o
        for o in repo.active_objectives(session, workspace.id, cycle, limit=101)
        if not objective or o.id != objective.id
    ]
    kras = repo.active_kras_of(session, workspace.id, objective.owner_id if objective else owner_id, limit=99)
    if objective is not None and objective.kra_id and all(k.id != objective.kra_id for k in kras):
        kras += list(repo.kras_by_ids(session, [objective.kra_id]).values())
    return ModalChoices(names, parents[:99], kras)


@dataclass
class Saved:
    objective: Objective
    key_results: list[KeyResult]
    notes: list[str] = field(default_factory=list)


def _links(
    session: Session, workspace: Workspace, form: ObjectiveForm, objective: Objective | None
) -> tuple[str, Objective | None, Kra | None]:
    """Normalise the cycle, check the parent and the KRA belong to this workspace and make sense."""
    errors: dict[str, str] = {}
    try:
        cycle = parse_cycle(form.cycle, workspace.fiscal_year_start_month).name
    except ValueError as error:
        errors[Block.OBJ_CYCLE] = str(error)
        cycle = form.cycle
    parent = None
    if form.parent_id is not None:
        parent = session.get(Objective, form.parent_id)
        if parent is None or parent.workspace_id != workspace.id or parent.status == Status.ARCHIVED:
            errors[Block.OBJ_PARENT] = "That objective is no longer available; choose another, or none."
            parent = None
        elif objective is not None and (
            parent.id == objective.id or any(a.id == objective.id for a in repo.ancestors(session, parent))
        ):
            errors[Block.OBJ_PARENT] = (
                "An objective cannot sit under itself or under one of its own children."
            )
            parent = None
    kra = None
    if form.kra_id is not None:
        kra = session.get(Kra, form.kra_id)
        if (
            kra is None
            or kra.workspace_id != workspace.id
            or (kra.status != Status.ACTIVE and (objective is None or objective.kra_id != kra.id))
        ):
            errors[Block.OBJ_KRA] = "That KRA is no longer available; choose another, or none."
            kra = None
    if errors:
        raise Invalid("Some fields need another look.", fields=errors)
    return cycle, parent, kra


def _apply_key_result(kr: KeyResult, form: KeyResultForm, position: int) -> None:
    kr.title, kr.unit, kr.owner_id, kr.weight, kr.position = (
        form.title,
        form.unit,
        form.owner_id,
        form.weight,
        position,
    )
    kr.kind = KeyResultKind.MILESTONE if form.milestone else KeyResultKind.METRIC
    kr.start_value, kr.target_value = form.start, form.target


def _new_key_result(
    session: Session, workspace: Workspace, objective: Objective, form: KeyResultForm, position: int
):
    kr = KeyResult(
        workspace_id=workspace.id,
        objective_id=objective.id,
        number=next_number(session, workspace.id, RefKind.KR),
        status=Status.ACTIVE,
    )
    _apply_key_result(kr, form, position)
    session.add(kr)
    return kr


def create_objective(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    form: ObjectiveForm,
    *,
    creation_key: str | None = None,
) -> Saved:
    """`creation_key` ("view:<view id>"): the same submission delivered twice creates one objective;
    the second is refused with a Conflict that names it, and its transaction rolls back."""
    if creation_key and (done := repo.objective_by_creation_key(session, workspace.id, creation_key)):
        raise Conflict(_already_created(done))
    cycle, parent, kra = _links(session, workspace, form, None)
    objective = Objective(
        workspace_id=workspace.id,
        number=next_number(session, workspace.id, RefKind.OBJ),
        title=form.title,
        description=form.description,
        owner_id=form.owner_id,
        cycle=cycle,
        channel_id=form.channel_id,
        parent_id=parent.id if parent else None,
        kra_id=kra.id if kra else None,
        status=Status.ACTIVE,
        created_by=actor_id,
        creation_key=creation_key,
    )
    try:
        with session.begin_nested():
            session.add(objective)
    except IntegrityError:  # the other delivery of the same form, a moment ago
        done = repo.objective_by_creation_key(session, workspace.id, creation_key) if creation_key else None
        if done is None:
            raise
        raise Conflict(_already_created(done)) from None
    key_results = [
        _new_key_result(session, workspace, objective, f, i) for i, f in enumerate(form.key_results)
    ]
    session.flush()
    return Saved(objective, key_results, _coach(form, kra, cycle))


def _already_created(objective: Objective) -> str:
    return f"This form was already saved as {format_ref(RefKind.OBJ, objective.number)}; it counts once."


def update_objective(
    session: Session, workspace: Workspace, actor_id: str, number: int, form: ObjectiveForm
) -> Saved:
    """Apply the edit modal. Row n maps to the n-th active key result; a cleared row archives it
    (its check-ins are kept); a filled row beyond them adds one."""
    objective = repo.objective_by_number(session, workspace.id, number)
    if objective is None:
        raise NotFound(f"{format_ref(RefKind.OBJ, number)} was not found in this workspace.")
    # Checked again on submit: the modal's private_metadata is only a hint, never trusted.
    require_objective_rights(session, workspace, actor_id, objective)
    if objective.status != Status.ACTIVE:
        raise Invalid(
            f"{format_ref(RefKind.OBJ, number)} is {objective.status.value}; its history stays as it was."
        )
    cycle, parent, kra = _links(session, workspace, form, objective)
    objective.title, objective.description, objective.owner_id = form.title, form.description, form.owner_id
    objective.cycle, objective.channel_id = cycle, form.channel_id
    objective.parent_id, objective.kra_id = (parent.id if parent else None), (kra.id if kra else None)
    existing = [
        kr
        for kr in repo.key_results_of(session, [objective.id]).get(objective.id, [])
        if kr.status == Status.ACTIVE
    ]
    # Row n of the edit form was prefilled from the n-th active key result.
    by_row = {kr_form.row: kr_form for kr_form in form.key_results}
    kept: list[KeyResult] = []
    for index, kr in enumerate(existing, start=1):
        if index not in by_row and index <= MAX_KEY_RESULTS:  # rows past the form's five stay as they are
            kr.status = Status.ARCHIVED  # a cleared row: the key result goes, its check-ins stay
    for position, kr_form in enumerate(form.key_results):
        if 1 <= kr_form.row <= len(existing):
            kr = existing[kr_form.row - 1]
            _apply_key_result(kr, kr_form, position)
            if kr.kind == KeyResultKind.MILESTONE and kr.current_value not in (None, 0.0, 1.0):
                kr.current_value = 1.0 if kr.current_value >= 1 else 0.0
        else:
            kr = _new_key_result(session, workspace, objective, kr_form, position)
        kept.append(kr)
    session.flush()
    return Saved(objective, kept, _coach(form, kra, cycle))


def _coach(form: ObjectiveForm, kra: Kra | None, cycle: str = "") -> list[str]:
    """Notes on the objective as saved: each key result's quality (docs/commands.md, *Key-result
    quality*), how many there are, the KRA. Never a refusal: it is saved as typed."""
    notes = [
        f"Key result {position}: {as_text(note)}"
        for position, kr in enumerate(form.key_results, start=1)
        for note in key_result_notes(
            kr.title, milestone=kr.milestone, start=kr.start, target=kr.target, unit=kr.unit, cycle=cycle
        )
    ]
    if (count := count_note(len(form.key_results))) is not None:
        notes.append(count)
    if kra is None:
        notes.append("Tip: link it to one of your KRAs (`/okr edit`) so people see where it fits.")
    return notes


def close_objective(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    number: int,
    scores: dict[int, float],
    *,
    now: datetime | None = None,
) -> tuple[Objective, list[KeyResult]]:
    objective = repo.objective_by_number(session, workspace.id, number)
    if objective is None:
        raise NotFound(f"{format_ref(RefKind.OBJ, number)} was not found in this workspace.")
    require_objective_rights(session, workspace, actor_id, objective)
    if objective.status != Status.ACTIVE:
        raise Invalid(f"{format_ref(RefKind.OBJ, number)} is already {objective.status.value}.")
    key_results = [
        kr
        for kr in repo.key_results_of(session, [objective.id]).get(objective.id, [])
        if kr.status == Status.ACTIVE
    ]
    if set(scores) != {kr.id for kr in key_results}:
        raise Invalid(
            f"This form no longer matches {format_ref(RefKind.OBJ, number)}; run `/okr close` again."
        )
    for kr in key_results:
        kr.final_score = scores[kr.id]
        kr.status = Status.CLOSED
    objective.status = Status.CLOSED
    objective.closed_at = now or stored_now()
    return objective, key_results


def archive_objective(session: Session, workspace: Workspace, actor_id: str, reference: str) -> Objective:
    objective = find_objective(session, workspace, reference)
    require_objective_rights(session, workspace, actor_id, objective)
    if objective.status == Status.ARCHIVED:
        raise Invalid(f"{format_ref(RefKind.OBJ, objective.number)} is already archived.")
    objective.status = Status.ARCHIVED
    return objective


@dataclass(frozen=True)
class Archived:
    """An objective just archived (`/okr archive`), and whose App Home shows it."""

    ref: str
    title: str
    owners: list[str]  # the objective's owner and its key results' owners


def archive(session: Session, workspace: Workspace, actor_id: str, reference: str) -> Archived:
    objective = archive_objective(session, workspace, actor_id, reference)
    ref = format_ref(RefKind.OBJ, objective.number)
    return Archived(ref, objective.title, owners_of(session, objective))


# --- pages --------------------------------------------------------------------------------------


def stored_names(session: Session, workspace: Workspace, user_ids: list[str]) -> dict[str, str]:
    """The names people go by, as Slack last told us (kept on Member); nothing waits on Slack."""
    return repo.cached_names(session, workspace.id, sorted(set(user_ids)))


@dataclass
class ObjectiveDetail:
    status: ObjectiveStatus
    ancestors: list[Objective]  # root first
    kra: Kra | None
    history: dict[int, list[CheckIn]]  # key result id → recent check-ins, newest first
    sprints: dict[int, list[Sprint]] = field(default_factory=dict)  # key result id → sprints that served it
    sources: dict[int, SourceBinding] = field(default_factory=dict)  # key result id → its data source


def objective_detail(
    session: Session, workspace: Workspace, objective: Objective, *, now: datetime | None = None
) -> ObjectiveDetail:
    """Everything `/okr show` prints, in a fixed number of statements."""
    key_results = repo.key_results_of(session, [objective.id]).get(objective.id, [])
    chain = repo.ancestors(session, objective)
    kra_id = objective.kra_id or next((o.kra_id for o in reversed(chain) if o.kra_id), None)
    kra = repo.kras_by_ids(session, [kra_id]).get(kra_id) if kra_id else None
    history = repo.recent_checkins(session, [kr.id for kr in key_results])
    served = sprint_repo.sprints_serving(session, [kr.id for kr in key_results], active_only=False)
    sources, _ = source_repo.bindings_of(session, key_result_ids=[kr.id for kr in key_results])
    return ObjectiveDetail(
        assess(objective, key_results, workspace, now), chain, kra, history, served, sources
    )


@dataclass
class ObjectiveList:
    statuses: list[ObjectiveStatus]
    total: int
    expected: float


def list_objectives(
    session: Session,
    workspace: Workspace,
    *,
    user_id: str | None = None,
    owner_id: str | None = None,
    channel_id: str | None = None,
    cycle: str | None = None,
    statuses: tuple[Status, ...] = (Status.ACTIVE, Status.CLOSED),
    limit: int = 40,
    after: int = 0,
    now: datetime | None = None,
) -> ObjectiveList:
    """A page of objectives with their key results, assessed: three statements at any size.

    The digest can call this with channel_id and the week's `now`.
    """
    now = now or stored_now()
    page = repo.list_objectives(
        session,
        workspace.id,
        user_id=user_id,
        owner_id=owner_id,
        channel_id=channel_id,
        cycle=cycle,
        statuses=statuses,
        limit=limit,
        after=after,
    )
    statuses = [assess(o, page.key_results.get(o.id, []), workspace, now) for o in page.objectives]
    expected = expected_for(parse_cycle(cycle, workspace.fiscal_year_start_month) if cycle else None, now)
    return ObjectiveList(statuses, page.total, expected)


# --- reads for /okr's answers and forms ------------------------------------------------------------


def channel_has_objectives(session: Session, workspace: Workspace, channel_id: str) -> bool:
    return repo.channel_has_objectives(session, workspace.id, channel_id)


def active_key_results(session: Session, objective: Objective) -> list[KeyResult]:
    return [
        kr
        for kr in repo.key_results_of(session, [objective.id]).get(objective.id, [])
        if kr.status == Status.ACTIVE
    ]


def objective_to_change(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[Objective, list[KeyResult]]:
    """An objective to edit or close, and its active key results: for those with rights to it."""
    objective = find_objective(session, workspace, reference)
    require_objective_rights(session, workspace, actor_id, objective)
    return objective, active_key_results(session, objective)


def may_check_in(
    session: Session, workspace: Workspace, actor_id: str, objective: Objective, key_results: list[KeyResult]
) -> set[int]:
    """Ids of the active key results `actor_id` may check in on: theirs, all of an objective they
    own, or any as a workspace admin (as `checkins.record` decides). One statement at most."""
    if objective.status != Status.ACTIVE:
        return set()
    active = [kr for kr in key_results if kr.status == Status.ACTIVE]
    if actor_id == objective.owner_id or member(session, workspace, actor_id).is_admin:
        return {kr.id for kr in active}
    return {kr.id for kr in active if kr.owner_id == actor_id}


def key_result_to_check_in(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[KeyResult, Objective, CheckIn | None]:
    """One key result to check in on from its row or App Home, with its latest check-in: active,
    and the actor's (or their objective's, or they are an admin). Checked again on every click."""
    kr, objective = find_key_result(session, workspace, reference)
    ref = format_ref(RefKind.KR, kr.number)
    if objective.status != Status.ACTIVE or kr.status != Status.ACTIVE:
        state = objective.status if objective.status != Status.ACTIVE else kr.status
        raise Invalid(f"{ref} is {state.value}; check-ins go on active key results. Nothing changed.")
    require_owner_or_admin(session, workspace, actor_id, kr.owner_id, objective.owner_id)
    latest = repo.recent_checkins(session, [kr.id], per_key_result=1).get(kr.id) or []
    return kr, objective, (latest[0] if latest else None)


def objective_to_check_in(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[list[tuple[KeyResult, Objective]], dict[int, CheckIn]]:
    """The key results of one objective the actor may check in on (*Check in* on its row of
    `/okr list`), with their latest check-ins. Checked again on every click."""
    objective = find_objective(session, workspace, reference)
    if objective.status != Status.ACTIVE:
        raise Invalid(
            f"{format_ref(RefKind.OBJ, objective.number)} is {objective.status.value}; "
            "check-ins go on active key results. Nothing changed."
        )
    key_results = key_results_of(session, objective)
    allowed = may_check_in(session, workspace, actor_id, objective, key_results)
    if not allowed:
        raise Forbidden(
            "Only the owner of a key result, of its objective, or a workspace admin can check in."
        )
    items = [(kr, objective) for kr in key_results if kr.id in allowed]
    latest = repo.recent_checkins(session, [kr.id for kr, _ in items], per_key_result=1)
    return items, {kr_id: rows[0] for kr_id, rows in latest.items() if rows}


def list_rights(
    session: Session, workspace: Workspace, actor_id: str, statuses: list[ObjectiveStatus]
) -> dict[int, tuple[bool, bool]]:
    """Objective id → (may check in on one of its key results, may change it) for `actor_id`,
    for the rows of a list: one statement (whether they are an admin) at any size."""
    admin = member(session, workspace, actor_id).is_admin
    rights = {}
    for status in statuses:
        o = status.objective
        mine = any(
            s.key_result.owner_id == actor_id and s.key_result.status == Status.ACTIVE
            for s in status.key_results
        )
        check_in = o.status == Status.ACTIVE and (admin or actor_id == o.owner_id or mine)
        rights[o.id] = (check_in, admin or actor_id in (o.owner_id, o.created_by))
    return rights


def owners_of(session: Session, objective: Objective) -> list[str]:
    """The objective's owner and its key results' owners: whose Home a change touches."""
    key_results = repo.key_results_of(session, [objective.id]).get(objective.id, [])
    return [objective.owner_id, *(kr.owner_id for kr in key_results)]


def is_active(record: Objective | KeyResult) -> bool:
    return record.status == Status.ACTIVE


def key_results_of(session: Session, objective: Objective) -> list[KeyResult]:
    """The objective's key results (archived ones left out), in order."""
    return repo.key_results_of(session, [objective.id]).get(objective.id, [])


def recent_checkins(session: Session, key_result: KeyResult, count: int) -> list[CheckIn]:
    """The key result's last `count` check-ins, newest first (none for 0)."""
    if count <= 0:
        return []
    return repo.recent_checkins(session, [key_result.id], per_key_result=count).get(key_result.id, [])


@dataclass(frozen=True)
class LinkNumbers:
    """The numbers of the KRAs and parent objectives some objectives point at, by database id."""

    kras: dict[int, int]
    parents: dict[int, int]


def link_numbers(session: Session, objectives: list[Objective]) -> LinkNumbers:
    """What OBJ-/KRA- references the objectives' KRAs and parents have, in two statements."""
    kra_ids = [o.kra_id for o in objectives if o.kra_id]
    parent_ids = [o.parent_id for o in objectives if o.parent_id]
    kras = {k.id: k.number for k in repo.kras_by_ids(session, kra_ids).values()}
    return LinkNumbers(kras=kras, parents=repo.objective_numbers(session, parent_ids))
