"""Learning from the user's accepts and dismissals (see docs/learning.md).

``features`` turns a finding or a stored event into model features, ``acceptance`` is the online
model, ``policy`` turns its predictions into keep/hint/hide and fix order, ``learner`` keeps the
model in step with a workspace's feedback store, ``pairs`` exports accepted fixes for
fine-tuning and ``simulate`` measures the whole with a simulated user.
"""
