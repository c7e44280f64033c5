"""The model runtime: inference worker processes, circuit breaker, SLO monitoring, slot policy.

``coderev.engine.runtime.engine.ModelEngine`` is the entry point the server uses; ``worker``/``process``/
``child`` run a slot in a separate process, ``breaker`` decides when to stop sending it requests,
``slo`` and ``policy`` decide which slot serves. Nothing is imported here, so that reading one
part (the SLO figures, say) does not load CTranslate2.
"""
