"""Errors the command line reports as a user's mistake (one line, exit code 2); kept free of imports so
that reporting one never loads the simulator."""

from __future__ import annotations


class UsageError(Exception):
    """A user mistake outside the scenario file (paths, flags); the CLI prints it and exits 2."""
