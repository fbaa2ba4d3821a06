"""`python -m hub` is the `hamlet` command."""

import sys

from hub.cli import main

sys.exit(main())
