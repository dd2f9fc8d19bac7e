"""Layer 9, the checks: one ``test_*.py`` module per area of the catalogue, each check registered
against the requirements it serves (``spec.registry``), sending through the executor's ``Probes`` and
judging with ``oracles``. Beside them the checks' shared pieces: ``probes`` (walks and refusals as the
checks need them), ``strategies`` (values and hypothesis strategies from the contract) and
``lifecycle`` (the state machine). May import every layer below; nothing imports the suite.
"""
