"""Physics formulas: widths, branching ratios, form factors, cross-sections.

Plain-Python/scipy functions here normalise a run and serve as test oracles; the functions
decorated with :func:`bdgen._jit.jit` are also called from the event kernels.
"""
