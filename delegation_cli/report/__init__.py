"""Report: the figures of a month, their tables and every format they are rendered in.

The figures: :mod:`figures` (the model), :mod:`monthly` (computing it), :mod:`alerts` (its
alert rules), :mod:`build` (the one library call).  The tables, format-free: :mod:`layout`
(``Section``, ``Column``), :mod:`sections` and :mod:`tables` (the report's),
:mod:`portfolio_sections` (the portfolio's).  How one value is written: :mod:`cells`.  The
formats, one module each: :mod:`terminal`, :mod:`markdown`, :mod:`csv`, :mod:`json`,
:mod:`document` (HTML, PDF) with :mod:`charts`, :mod:`export` (hledger, beancount); the one
registry of them: :mod:`formats`.  The portfolio: :mod:`discovery` (its files),
:mod:`portfolio` (its lines and totals).  The commands' short texts: :mod:`messages`.
"""
