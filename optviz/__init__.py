"""OptViz: optimizer trajectories on analytic 2-D loss surfaces, vectorized over runs."""
from optviz.optimizers import DISPLAY_NAMES, HYPERPARAMETERS, OPTIMIZERS, Optimizer, make_optimizer
from optviz.simulate import simulate
from optviz.trajectory import Trajectory

__all__ = ["DISPLAY_NAMES", "HYPERPARAMETERS", "OPTIMIZERS", "Optimizer", "make_optimizer", "simulate", "Trajectory"]
