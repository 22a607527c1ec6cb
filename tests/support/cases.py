"""Cases shared by the tests that compare implementations (engine, Mesa model, slow model)."""

#: small networks of each structure the kernel distinguishes: a regular lattice,
#: a small world (irregular, clustered) and a random graph cut to its largest
#: component (irregular, renumbered)
NETWORKS = {
    "grid": {"kind": "grid", "rows": 6, "cols": 7, "periodic": True},
    "watts_strogatz": {"kind": "watts_strogatz", "n": 36, "k": 4, "p": 0.2},
    "erdos_renyi": {"kind": "erdos_renyi", "n": 36, "p": 0.17, "largest_component": True},
}

#: fixed and evolving exploration (docs/model/odd.md, 7.4 and 7.5), as ModelParams keywords
EXPLORATION = {
    "fixed": {"exploration": 0.1},
    "evolving": {"rates": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), "rate_mutation": 0.05},
}
