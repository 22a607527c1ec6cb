"""normsim: simulate and analyse social norm change.

Implements the evolutionary game-theoretic model of De, Nau & Gelfand,
"Understanding Norm Change" (AAMAS 2017): a two-norm coordination game with a
need for coordination ``c``, Fermi imitation on networks, exploration, shocks,
evolving exploration rates, and the replicator(-mutator) dynamics of the
well-mixed population.
"""

__version__ = "0.3.0"

from normsim.errors import NormsimError  # noqa: E402
from normsim.game import A, B, CoordinationGame, MatrixGame  # noqa: E402

__all__ = ["A", "B", "CoordinationGame", "MatrixGame", "NormsimError", "__version__"]
