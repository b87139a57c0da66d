import sys

from swissenergy_watchdog.cli import main

sys.exit(main())
