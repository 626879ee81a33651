"""The packaged phone app's entry point (``flet build apk`` / ``ipa``: ``[tool.flet.app]``
in pyproject.toml names this module).

On a phone there is no browser and no port: Flet runs the app in its own window, the
database lives in the app's private data folder (``FLET_APP_STORAGE_DATA``, see
``stroll.settings.default_db_path``), and the settings come from ``STROLL_*`` variables
with their defaults (the server address is set on the More tab).
"""
from __future__ import annotations


def run() -> None:
    import flet as ft

    from stroll.settings import Settings
    from stroll.ui.app import build_main

    settings = Settings.from_env()
    ft.run(build_main(settings), assets_dir=str(settings.assets_dir))


if __name__ == "__main__":
    run()
