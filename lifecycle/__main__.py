"""``python -m lifecycle`` runs the command line."""

from .cli import main

main()
