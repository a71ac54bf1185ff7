"""Run the command line with ``python -m analytics.cli``."""

from analytics.cli import main

main()
