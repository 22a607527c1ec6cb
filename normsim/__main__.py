"""``python -m normsim``: the same as the ``normsim`` command."""

import sys

from normsim.cli import main

sys.exit(main())
