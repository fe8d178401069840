"""The `bearing` command: simulate, inspect, estimate, evaluate captures; train MoD-DNN and source counters.

Its output is a contract users script against; docs/cli.md documents every field. Errors go
to standard error as one line ``bearing: error: ...`` with exit status 2.

One module per subcommand (:data:`~.main.COMMANDS`), each with ``add_parser(commands)`` and
``run(args)``; :mod:`.replay_options` holds what `estimate` and `evaluate` share,
:mod:`.live_options` what `live` and `record` share, :mod:`.main`
the entry point :func:`main`.
"""

from .main import main

__all__ = ["main"]
