"""Helpers shared by the test modules, imported as ``support.NAME`` (pytest's
``pythonpath = ["tests"]`` puts this package on the path).

- :mod:`support.clirun`: ``normsim ARGS`` in the test process, or in a real process where
  the process boundary is the subject;
- :mod:`support.hostile_helpers`: the one-line error check, the peak-memory probe, a small
  scenario and a store's replicates, for the hostile-use tests;
- :mod:`support.equivalence`, :mod:`support.slow_model`, :mod:`support.cases`: the
  engine, the Mesa model and the slow per-agent model compared series for series;
- :mod:`support.sameness` and ``data/series_hashes.json``: the recorded series hashes;
- :mod:`support.package_layout`: normsim's layers and its deprecated module paths;
- :mod:`support.analysis_scripts`: the analysis scripts imported as modules.
"""
