"""rtgym_bench: rtgym_nb against rtgym 0.16, measured identically, side by side.

Run it with ``./dev bench`` (about 15 minutes) or ``./dev bench --quick`` (about 2), or from
``benchmarks/`` with the project's Python: ``python -m rtgym_bench [--quick]``. The method and
the results are in ``docs/performance.md``.

The same trivial interface (a 1-D action, an observation carrying its capture time) runs on
both packages and both env ids, each run in a fresh process: rtgym 0.16 in its own virtual
environment (:mod:`~rtgym_bench.environments`), rtgym_nb in this one. Every figure is computed
from timestamps the interface takes on entry of ``send_control`` and
``get_obs_rew_terminated_info`` (:mod:`~rtgym_bench.worker`), never from a package's own
trace. One idea per module:

* :mod:`~rtgym_bench.environments`: the rtgym 0.16 environment, and how workers start;
* :mod:`~rtgym_bench.cases`: the case matrix and the order the runs take turns in;
* :mod:`~rtgym_bench.worker`: one run, in its own process, on either package;
* :mod:`~rtgym_bench.measurement`: running the cases, pooling the runs, the searches;
* :mod:`~rtgym_bench.report` and :mod:`~rtgym_bench.figures`: the tables and histograms;
* :mod:`~rtgym_bench.cli`: the command line;
* :mod:`~rtgym_bench.learning`: the learner's figures (buffer against delay-blind agent over
  seeds) and its speed, ``python -m rtgym_bench.learning``;
* :mod:`~rtgym_bench.instructions`: instructions per simulated time-step (valgrind),
  ``python -m rtgym_bench.instructions``.

This module imports nothing: the worker runs as ``python -m rtgym_bench.worker`` in rtgym
0.16's environment, where neither rtgym_nb nor matplotlib is installed.
"""
