"""``python -m opentill.bench [options]``: the same as ``opentill bench``."""

import sys

from opentill.bench.command import main

sys.exit(main())
