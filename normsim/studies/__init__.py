"""Studies: run a scenario's conditions, summarise what the store holds, analyse it.

- :mod:`normsim.studies.runner`: conditions -> replicates on worker processes (or
  Dask), each stored as it finishes; resumable;
- :mod:`normsim.studies.results`: stored series per condition and their summaries;
- :mod:`normsim.studies.metrics`: the inertia metrics of a series;
- :mod:`normsim.studies.export`: the store as CSV or Parquet tables;
- :mod:`normsim.studies.sensitivity`: sensitivity analysis of a sampling design's
  stored results;
- :mod:`normsim.studies.calibrate`: ABC-SMC calibration against observed data;
- :mod:`normsim.studies.tipping`: the search for each condition's tipping point.

The results store (:mod:`normsim.store`, :mod:`normsim.snapshots`) stays below this
package: :mod:`normsim.scenario.limits` estimates a run's disk from it before anything runs.
"""
