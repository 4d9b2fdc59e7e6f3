"""``python -m autolog.cli``."""

import sys

from autolog.cli import main

sys.exit(main())
