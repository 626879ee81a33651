"""The summary after a stroll ends: what was done, who walked, what waits to sync.

Reads ``RunningStroll.summary`` (PatrolService.end_stroll's summary: distance_m, duration_s,
check_ins, incidents, tallies, team, started_at, neighborhood_id) and the outbox count
now; Done goes back to the Patrol tab (``state.close_summary``).
"""
from __future__ import annotations

import flet as ft

from stroll.domain import taxonomy as tx
from stroll.domain.records import parse_time
from stroll.state import AppState, RunningStroll
from stroll.ui.live import figure, incident_line
from stroll.ui.theme import GAP
from stroll.ui.widgets import big_button, icon_text, note, screen, section_title


def _count_row(identifier: str, icon, label: str, count: int) -> ft.Control:
    return ft.Semantics(identifier=identifier, container=True, content=ft.Row([
        ft.Icon(icon, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(label, expand=True),
        ft.Text(str(count), size=18, weight=ft.FontWeight.W_700),
    ], spacing=8))


@ft.component
def SummaryBody(state: AppState, walk: RunningStroll):
    tr = state.tr
    s = walk.summary or {}
    controls: list[ft.Control] = []
    if s.get("started_at"):
        started = parse_time(s["started_at"]).astimezone(state.now().tzinfo)
        controls.append(note(tr.t("summary.where", when=tr.day_time(started),
                                  neighborhood=state.neighborhood_name(s.get("neighborhood_id")))))
    controls.append(ft.Row([
        figure("summary-distance", tr.t("summary.distance"), tr.km(s.get("distance_m"))),
        figure("summary-duration", tr.t("summary.duration"), tr.duration(s.get("duration_s"))),
    ], spacing=GAP))
    controls.append(ft.Divider())
    controls.append(_count_row("summary-check-ins", ft.Icons.STOREFRONT_OUTLINED,
                               tr.t("summary.check_ins"), s.get("check_ins", 0)))
    incidents = walk.summary_incidents()
    controls.append(_count_row("summary-incidents", ft.Icons.REPORT_OUTLINED,
                               tr.t("summary.incidents"), s.get("incidents", len(incidents))))
    controls += [ft.Container(incident_line(state, i), padding=ft.Padding.only(left=32))
                 for i in incidents]
    controls.append(section_title(tr.t("summary.tallies")))
    tallies = s.get("tallies") or {}
    controls += [ft.Semantics(identifier=f"summary-tally-{k}", container=True, content=ft.Row(
        [ft.Text(tr.t(f"tally.{k}"), expand=True),
         ft.Text(str(tallies.get(k, 0)), weight=ft.FontWeight.W_600)]))
        for k in tx.TALLIES]
    controls.append(section_title(tr.t("summary.team")))
    controls.append(ft.Semantics(identifier="summary-team", container=True, content=ft.Column([
        icon_text(ft.Icons.PERSON_OUTLINE, tr.t("summary.lead", name=p["name"]) if p.get("lead")
                  else p["name"]) for p in s.get("team") or []], spacing=6)))
    pending = walk.pending_count()
    controls.append(ft.Container(height=4))
    waiting = ft.Row([
        ft.Icon(ft.Icons.CLOUD_UPLOAD_OUTLINED if pending else ft.Icons.CLOUD_DONE_OUTLINED),
        ft.Text(tr.t("summary.pending", count=pending) if pending else tr.t("summary.all_sent"),
                expand=True)], spacing=8, vertical_alignment=ft.CrossAxisAlignment.START)
    controls.append(ft.Semantics(
        identifier="summary-pending", live_region=True, content=ft.Container(
            waiting, bgcolor=ft.Colors.SECONDARY_CONTAINER, border_radius=8, padding=10)))
    return ft.Column([
        ft.ListView(controls, expand=True, spacing=8,
                    padding=ft.Padding.only(left=16, right=16, top=8, bottom=GAP)),
        ft.Container(big_button("summary-done", tr.t("summary.done"), ft.Icons.CHECK,
                                state.close_summary),
                     padding=ft.Padding.only(left=16, right=16, top=8, bottom=16)),
    ], expand=True, spacing=0)


def SummaryView(state: AppState) -> ft.View:
    return screen("/summary", state.tr.t("summary.title"), "summary",
                  SummaryBody(state, state.patrol.walk))


__all__ = ["SummaryView"]
