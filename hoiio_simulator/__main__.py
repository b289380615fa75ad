"""Run the simulator's command line."""

from hoiio_simulator.cli import main

raise SystemExit(main())
