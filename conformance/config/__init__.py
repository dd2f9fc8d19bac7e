"""Layer 4, the run's settings: ``options`` (every option declared once: flag, env, config key),
``settings`` (built from the command line, the environment and the config file), ``profiles`` (quick
and full, each a budget in work, and the test data they plan) and ``waivers``. May import ``spec``,
``model`` and ``errors``; building the settings never imports the HTTP client.
"""
