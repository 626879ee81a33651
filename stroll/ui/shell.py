"""The app shell: app bar with the sync badge, bottom navigation, the pushed screens."""
from __future__ import annotations

from datetime import datetime

import flet as ft

from stroll.state import AUTH, CONNECTING, ERROR, NO_SERVER, OFFLINE, ONLINE, SYNCING, AppState
from stroll.state.drafts import DRAFT_SCREENS
from stroll.ui.check_in import AddMerchantView, CheckInView, MerchantView
from stroll.ui.history import PastStrollView
from stroll.ui.incident import IncidentFormView, QuickIncidentView
from stroll.ui.live import LiveView
from stroll.ui.map_tab import MapTab
from stroll.ui.more_tab import MoreTab
from stroll.ui.my_shifts import MyShiftsView
from stroll.ui.new_stroll import NewStrollView
from stroll.ui.patrol_tab import PatrolTab
from stroll.ui.shift_detail import ShiftDetailView
from stroll.ui.shifts_tab import ShiftsTab
from stroll.ui.sign_in import SignInView
from stroll.ui.summary import SummaryView
from stroll.ui.theme import MIN_TOUCH, build_theme, locale_configuration

# The screens pushed above the tabs (state.SCREENS), each a function state -> ft.View.
SCREEN_VIEWS = {
    "new_stroll": NewStrollView, "live": LiveView, "check_in": CheckInView,
    "merchant": MerchantView, "add_merchant": AddMerchantView, "incident": QuickIncidentView,
    "incident_form": IncidentFormView, "summary": SummaryView, "sign_in": SignInView,
    "past_stroll": PastStrollView, "my_shifts": MyShiftsView, "shift": ShiftDetailView,
}

TAB_ICONS = {
    "patrol": (ft.Icons.DIRECTIONS_WALK_OUTLINED, ft.Icons.DIRECTIONS_WALK),
    "shifts": (ft.Icons.EVENT_OUTLINED, ft.Icons.EVENT),
    "map": (ft.Icons.MAP_OUTLINED, ft.Icons.MAP),
    "more": (ft.Icons.MORE_HORIZ, ft.Icons.MORE_HORIZ),
}

_DOT = {ONLINE: ft.Colors.GREEN_600, SYNCING: ft.Colors.GREEN_600, CONNECTING: ft.Colors.AMBER_700,
        OFFLINE: ft.Colors.GREY_500, NO_SERVER: ft.Colors.GREY_500, ERROR: ft.Colors.RED_600,
        AUTH: ft.Colors.RED_600}
_LABEL = {ONLINE: "sync.online", SYNCING: "sync.syncing", CONNECTING: "sync.connecting",
          OFFLINE: "sync.offline", NO_SERVER: "sync.no_server", ERROR: "sync.problem",
          AUTH: "sync.auth"}


def _last_synced(state: AppState) -> str:
    tr, s = state.tr, state.sync
    if not s.last_synced_at:
        return tr.t("sync.never")
    return tr.t("sync.last", when=tr.when(datetime.fromisoformat(s.last_synced_at), state.now()))


def sync_detail(state: AppState) -> str:
    """Second line of the badge: what waits, and when it last synced."""
    tr, s = state.tr, state.sync
    if s.pending:
        waiting = tr.t("sync.pending", count=s.pending)
    elif s.rejected:
        waiting = tr.t("sync.rejected", count=s.rejected)
    else:
        return _last_synced(state)
    return tr.t("sync.badge_detail", waiting=waiting, last=_last_synced(state))


@ft.component
def SyncBadge(state: AppState):
    tr, s = state.tr, state.sync
    return ft.Semantics(
        identifier="sync-status",
        button=True,
        content=ft.Container(
            content=ft.Row(
                [ft.Container(width=10, height=10, border_radius=5, bgcolor=_DOT[s.connection]),
                 ft.Column([ft.Text(tr.t(_LABEL[s.connection]), size=12,
                                    weight=ft.FontWeight.W_600, max_lines=1,
                                    overflow=ft.TextOverflow.ELLIPSIS),
                            ft.Text(sync_detail(state), size=11, max_lines=1,
                                    overflow=ft.TextOverflow.ELLIPSIS)],
                           spacing=0, tight=True, horizontal_alignment=ft.CrossAxisAlignment.START)],
                spacing=8, tight=True),
            height=MIN_TOUCH, padding=ft.Padding.symmetric(horizontal=12),
            border_radius=MIN_TOUCH // 2, ink=True,
            on_click=lambda _: state.open_sync_details(),
        ),
    )


def sync_dialog(state: AppState) -> ft.AlertDialog:
    tr, s = state.tr, state.sync
    lines = [ft.Row([ft.Container(width=10, height=10, border_radius=5, bgcolor=_DOT[s.connection]),
                     ft.Text(tr.t(_LABEL[s.connection]), weight=ft.FontWeight.W_600)], spacing=8)]
    if s.connection == NO_SERVER:
        lines.append(ft.Text(tr.t("sync.set_server")))
    else:
        lines.append(ft.Text(tr.t("sync.server", url=state.server_url)))
    lines.append(ft.Text(tr.t("sync.pending", count=s.pending) if s.pending else tr.t("sync.all_sent")))
    if s.rejected:
        lines.append(ft.Text(tr.t("sync.rejected", count=s.rejected)))
    lines.append(ft.Text(_last_synced(state)))
    problem = state.sync_error_text()
    if problem:
        lines.append(ft.Semantics(identifier="sync-problem", content=ft.Text(
            problem, color=ft.Colors.ERROR)))
    if s.last_error and s.error_code == "rejected":  # the server's reason, as it gave it
        lines.append(ft.Text(s.last_error, size=12, color=ft.Colors.ON_SURFACE_VARIANT,
                             selectable=True))
    if s.pending and not problem:  # every problem text already says they are kept
        lines.append(ft.Text(tr.t("sync.kept"), size=12, color=ft.Colors.ON_SURFACE_VARIANT))
    actions = [ft.TextButton(tr.t("sync.close"), on_click=lambda _: state.close_sync_details())]
    if s.needs_sign_in:  # sync waits for a member to sign in: lead there
        def sign_in(_):
            # the dialog closes first: a view pushed while it closes left it open
            # underneath, shown again on Back
            state.close_sync_details()
            yield
            state.open_sign_in()
        actions.insert(0, ft.Semantics(identifier="sync-sign-in", content=ft.FilledButton(
            tr.t("signin.button"), icon=ft.Icons.LOGIN, on_click=sign_in)))
    elif s.connection != NO_SERVER:
        actions.insert(0, ft.Semantics(identifier="sync-now", content=ft.TextButton(
            tr.t("sync.now"), on_click=lambda _: state.sync_now())))
    return ft.AlertDialog(
        title=ft.Text(tr.t("sync.title")),
        content=ft.Semantics(identifier="sync-details",
                             content=ft.Column(lines, tight=True, spacing=8)),
        actions=actions,
        on_dismiss=lambda _: state.close_sync_details(),
    )


def leave_dialog(state: AppState) -> ft.AlertDialog:
    """Back on a form holding unsaved changes: keep them as a draft, or discard them."""
    tr = state.tr
    return ft.AlertDialog(
        title=ft.Text(tr.t("draft.ask_title")),
        content=ft.Semantics(identifier="draft-question", content=ft.Text(tr.t("draft.ask_body"))),
        actions=[
            ft.Semantics(identifier="draft-discard", button=True, content=ft.TextButton(
                tr.t("draft.discard"), on_click=lambda _: state.discard_draft())),
            ft.Semantics(identifier="draft-keep", button=True, content=ft.FilledButton(
                tr.t("draft.keep"), on_click=lambda _: state.keep_draft())),
        ],
        on_dismiss=lambda _: state.stay_on_form(),
    )


@ft.component
def TabBody(state: AppState):
    return {
        "patrol": PatrolTab, "shifts": ShiftsTab, "map": MapTab, "more": MoreTab,
    }[state.tab](state)


def main_view(state: AppState) -> ft.View:
    tr = state.tr
    # Keys carry the language: a new language builds new widgets. Widgets kept across a
    # theme font change kept text sizes measured in the old font (Korean overlapped).
    lang = state.language
    nav = ft.NavigationBar(
        key=f"nav-{lang}",
        selected_index=state.tab_index,
        on_change=lambda e: state.select_tab_index(e.control.selected_index),
        destinations=[ft.NavigationBarDestination(
            icon=ft.Semantics(identifier=f"tab-{tab}", content=ft.Icon(TAB_ICONS[tab][0])),
            selected_icon=ft.Semantics(identifier=f"tab-{tab}", content=ft.Icon(TAB_ICONS[tab][1])),
            label=tr.t(f"tab.{tab}")) for tab in TAB_ICONS],
    )
    return ft.View(
        route="/",
        appbar=ft.AppBar(
            key=f"appbar-{lang}",
            title=ft.Semantics(identifier="screen-title", header=True,
                               content=ft.Text(tr.t(f"tab.{state.tab}"))),
            actions=[SyncBadge(state)],
            actions_padding=ft.Padding.only(right=4),
        ),
        navigation_bar=nav,
        padding=0,
        controls=[TabBody(state, key=f"{state.tab}-{lang}")],
    )


@ft.component
def App(state: AppState):
    page = ft.context.page

    def apply_language():
        page.title = state.tr.t("app.title")
        page.theme = build_theme(state.language)
        page.locale_configuration = locale_configuration(state.language)
        page.update()

    ft.use_effect(apply_language, dependencies=[state.language])
    ft.use_dialog(leave_dialog(state) if state.leaving
                  else sync_dialog(state) if state.sync_details_open else None)

    # the tabs at the bottom, each pushed screen above; Back pops the top one
    return [main_view(state), *(pushed_view(state, name) for name in state.screens)]


def pushed_view(state: AppState, name: str) -> ft.View:
    """A screen above the tabs. On a form, Back asks the state first: with changes
    kept as a draft it asks "Keep draft / Discard" instead of leaving."""
    view = SCREEN_VIEWS[name](state)
    if name in DRAFT_SCREENS:
        async def back(e):
            await e.control.confirm_pop(False)  # the state pops the screen, or asks
            state.close_screen()
        view.can_pop = False        # Back asks Python first (Flutter's PopScope)
        view.on_confirm_pop = back
    return view
