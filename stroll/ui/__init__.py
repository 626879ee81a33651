"""The device app's Flet UI: components that render ``stroll.state.AppState``.

Entry point: ``stroll.ui.app.build_main(settings)``.
"""
