"""`python -m sim` is `whsim`."""

import sys

from sim.cli import main

sys.exit(main())
