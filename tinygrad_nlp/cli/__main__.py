"""`python -m tinygrad_nlp.cli ARGS` is `tinygrad-nlp ARGS` (for a checkout that is not installed)."""
import sys

from . import main

sys.exit(main())
