"""`python -m bot` is the same as the `koppelbot` command."""

import sys

from bot.cli import main

sys.exit(main())
