"""Binding a key result or a KPI to a data source, and finding the binding behind a reference."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.references import RefKind, format_ref, parse_any_ref
from bot.errors import Usage
from bot.services import kras, okrs
from bot.services.workspaces import require_owner_or_admin
from bot.sources.spec import SourceSpec
from storage.models import KeyResult, Kpi, SourceBinding, Workspace
from storage.repositories import sources as repo

FIELDS = ("kind", "env", "query", "url", "pointer", "header", "every_minutes")


def _values(spec: SourceSpec) -> dict:
    return {
        "kind": spec.kind,
        "env": spec.env,
        "query": spec.query,
        "url": spec.url,
        "pointer": spec.pointer,
        "header": spec.header,
        "every_minutes": spec.every,
    }


def bind(
    session: Session, workspace: Workspace, target: KeyResult | Kpi, spec: SourceSpec | None, actor_id: str
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
    values = _values(spec)
    if binding is not None and all(getattr(binding, name) == value for name, value in values.items()):
        return False
    if binding is None:
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
    """(reference, key result or KPI, the people who may sync or bind it besides admins)."""
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


def binding_to_sync(
    session: Session, workspace: Workspace, actor_id: str, reference: str
) -> tuple[str, SourceBinding | None]:
    """The binding `/okr sync REF` runs: for the owner or a workspace admin."""
    ref, target, owners = find_target(session, workspace, reference)
    require_owner_or_admin(session, workspace, actor_id, *owners)
    if isinstance(target, KeyResult):
        return ref, repo.binding_of_key_result(session, target)
    return ref, repo.binding_of_kpi(session, target)


def bind_reference(
    session: Session,
    workspace: Workspace,
    actor_id: str,
    reference: str,
    spec: SourceSpec | None,
) -> bool:
    """Bind (or unbind) the key result or KPI `reference`: for its owner or a workspace admin."""
    _, target, owners = find_target(session, workspace, reference)
    require_owner_or_admin(session, workspace, actor_id, *owners)
    return bind(session, workspace, target, spec, actor_id)
