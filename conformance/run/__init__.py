"""Layer 8, running the suite under pytest: ``plugin`` (the hooks, thin), ``startup`` (settings, run
state, target), ``collection`` (requirements marked, order, jobs queued), ``attribution`` (a check's
report -> ``CheckResult``), ``closing`` (evidence notes, verdict, exit status, terminal),
``fixtures``, ``runstate`` (what one run holds: settings, client, data), ``executor`` (every check
is a job: concurrency, the run's limits, crashes), ``checks`` (how a check reports what it found),
``progress``, ``finish`` (verdict and reports at the end), ``recovery`` (``cleanup`` and the clean-up
of a killed run) and ``replay``. May import every layer below, and ``server`` to start the bundled one;
never the suite's checks (pytest collects those).
"""
