"""信治 Xinzhi: community integrity points by a committee's declarative standard.

The repository keeps the product's folders at the top (``engine/``, ``api/``,
``simulations/``, ``rulesets/``); they install as ``xinzhi.engine``, ``xinzhi.api``,
``xinzhi.simulations`` and ``xinzhi.rulesets``. This folder holds the service layer, one
package per domain, and the command line.
"""
