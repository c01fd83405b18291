"""Binding a key result or a KPI to a data source over a declared connection, and finding the
binding behind a reference. Who may bind: workspace admins, and owners when an admin switched on
`owners_may_bind_sources`; a connection not declared for the workspace cannot be chosen."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.references import RefKind, format_ref, parse_any_ref
from bot.errors import Forbidden, Invalid, Usage
from bot.services import kras, okrs
from bot.services.members import member, require_owner_or_admin
from bot.sources.connections import Connection, Connections, names
from bot.sources.spec import SourceSpec, problems_with
from storage.models import KeyResult, Kpi, SourceBinding, SourceKind, Workspace
from storage.repositories import sources as repo

ONLY_ADMINS = (
    "Only a workspace admin can bind a data source here (an admin can let owners do it in `/okr settings`)."
)


def declared(connections: Connections, workspace: Workspace, spec: SourceSpec) -> Connection:
    """The connection `spec` names, declared for this workspace and fit for what `spec` gives;
    Invalid (by field name) otherwise."""
    connection = connections.find(spec.connection, workspace.team_id)
    if connection is None:
        message = (
            f"no connection `{spec.connection}` is declared for this workspace "
            f"(declared: {names(connections.for_team(workspace.team_id))}); the operator declares "
            f"one with NORTHLINE_SOURCE_{spec.connection.upper()}_URL"
        )
        raise Invalid(message, fields={"connection": message})
    problems = problems_with(spec, connection)
    if problems:
        raise Invalid(next(iter(problems.values())), fields=problems)
    return connection


def _values(spec: SourceSpec, connection: Connection) -> dict:
    """The binding's columns. Its `kind` is how it is read (sql or http): a connector's kind is
    the connection's, so the stored enum needs no value per provider."""
    http = connection.kind == "http"
    return {
        "kind": SourceKind(connection.transport),
        "connection": connection.name,
        "path": (spec.path or "/") if http else spec.path,
        "pointer": spec.stored_pointer,
        "query": spec.query,
        "every_minutes": spec.every,
        # Bindings made before connections named their secret and address here; a new one does not.
        "env": None,
        "url": None,
        "header": None,
    }


def bind(
    session: Session,
    workspace: Workspace,
    target: KeyResult | Kpi,
    spec: SourceSpec | None,
    actor_id: str,
    *,
    connections: Connections,
    max_sources: int,
) -> bool:
    """Make `target`'s binding what `spec` says (None: no source). True when anything changed.
    A changed binding starts afresh: it runs at the next sync and its failures are forgotten."""
    is_kr = isinstance(target, KeyResult)
    binding = repo.binding_of_key_result(session, target) if is_kr else repo.binding_of_kpi(session, target)
    if spec is None:
        if binding is None:
            return False
        session.delete(binding)
        return True
    try:
        connection = declared(connections, workspace, spec)
    except Invalid as refused:  # its fields are the spec's names, not a form's blocks
        raise Invalid(refused.message) from None
    values = _values(spec, connection)
    if binding is not None and all(getattr(binding, name) == value for name, value in values.items()):
        return False
    if binding is None:
        count = repo.count_in_workspace(session, workspace.id)
        if count >= max_sources:
            raise Invalid(
                f"This workspace has {count} data sources, the most it may have (NORTHLINE_MAX_SOURCES); "
                "unbind one first, or ask the operator to raise the limit."
            )
        binding = SourceBinding(
            workspace_id=workspace.id,
            key_result_id=target.id if is_kr else None,
            kpi_id=None if is_kr else target.id,
            created_by=actor_id,
        )
        session.add(binding)
    for name, value in values.items():
        setattr(binding, name, value)
    binding.last_run_at = binding.last_error = binding.failing_since = binding.failure_notified_at = None
    session.flush()
    return True


def find_target(
    session: Session, workspace: Workspace, reference: str
) -> tuple[str, KeyResult | Kpi, list[str]]:
    """(reference, key result or KPI, the people who may sync it besides admins)."""
    try:
        kind, number = parse_any_ref(reference)
    except ValueError as error:
        raise Usage(f"{error}. `/okr sync KR-7` or `/okr sync KPI-3`.") from None
    if kind == RefKind.KR:
        kr, objective = okrs.find_key_result(session, workspace, reference)
        return format_ref(kind, number), kr, [kr.owner_id, objective.owner_id]
    if kind == RefKind.KPI:
        kpi, kra = kras.find_kpi(session, workspace, reference)
        return format_ref(kind, number), kpi, [kra.owner_id]
    raise Usage("Only a key result or a KPI has a data source: `/okr sync KR-7` or `/okr sync KPI-3`.")


def _binding_of(session: Session, target: KeyResult | Kpi) -> SourceBinding | None:
    if isinstance(target, KeyResult):
        return repo.binding_of_key_result(session, target)
    return repo.binding_of_kpi(session, target)


def binding_to_sync(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[str, SourceBinding | None]:
    """The binding `/okr sync REF` runs: for the owner or a workspace admin."""
    ref, target, owners = find_target(session, workspace, reference)
    require_owner_or_admin(session, workspace, actor_id, *owners)
    return ref, _binding_of(session, target)


def require_binder(session: Session, workspace: Workspace, actor_id: str, owners: list[str]) -> None:
    """Admins bind; owners too once an admin allowed it; nobody else."""
    if member(session, workspace, actor_id).is_admin:
        return
    if actor_id in owners and workspace.owners_may_bind_sources:
        return
    raise Forbidden(
        ONLY_ADMINS if actor_id in owners else "Only a workspace admin can bind this data source."
    )


def binding_to_edit(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[str, SourceBinding | None]:
    """The binding `/okr source REF` shows in its form: for whoever may bind it."""
    ref, target, owners = find_target(session, workspace, reference)
    require_binder(session, workspace, actor_id, owners)
    return ref, _binding_of(session, target)


def bind_reference(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    reference: str,
    spec: SourceSpec | None,
    *,
    connections: Connections,
    max_sources: int,
) -> bool:
    """Bind (or unbind) the key result or KPI `reference`: for whoever may bind it."""
    _, target, owners = find_target(session, workspace, reference)
    require_binder(session, workspace, actor_id, owners)
    return bind(session, workspace, target, spec, actor_id, connections=connections, max_sources=max_sources)
