import sys

from stroll.cli import main

sys.exit(main())
