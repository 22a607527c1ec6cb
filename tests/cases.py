"""Parameter sets shared by the tests that compare implementations."""

#: fixed and evolving exploration (model-spec 3.1 and 3.2), as ModelParams keywords
EXPLORATION = {
    "fixed": {"exploration": 0.1},
    "evolving": {"rates": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5), "rate_mutation": 0.05},
}
