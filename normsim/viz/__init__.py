"""The browser visualization (SolaraViz page) of normsim: see normsim.viz.app."""
