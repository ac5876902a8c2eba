"""Surfaces typed as f(x, y): a whitelist parser (never a Python evaluator), symbolic derivatives,
LaTeX, and the Surface built from them."""
