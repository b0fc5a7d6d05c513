"""The ``clue`` command's subcommands, one module per group; ``cli.py`` parses the arguments and
calls them, and owns the one error path (every user error a ``ValueError`` or ``OSError``,
printed as one line).

* :mod:`.common` -- what several commands share: :class:`CliError`, argument types, the level
  and workers flags, the progress bar, quiet third-party logs;
* :mod:`.puzzles` -- ``generate``, ``show``, ``list``, ``play``, ``audit``;
* :mod:`.evaluate` -- ``eval``, ``report``;
* :mod:`.train` -- ``train``, ``plot``.
"""
