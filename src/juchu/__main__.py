"""The ``juchu`` command: Django's management commands under one entry point."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``juchu <command> [options]`` (``juchu help`` lists the commands)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "juchu.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else ["juchu", *argv])
    if len(args) > 1 and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    execute_from_command_line(args)


if __name__ == "__main__":
    main()
