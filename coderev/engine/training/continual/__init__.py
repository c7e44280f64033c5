"""Continual learning of the fix model (``coderev model learn``, docs/learning.md, ADR 0023).

``methods`` the anti-forgetting methods (EWC, SI, LwF, PackNet; replay is a data mix in
``loop``), ``loop`` the checkpointed training loop, ``sources`` the new data (FIX samples, accepted
fix pairs, a team's rules), ``learn`` the candidate slot: train, convert, evaluate old and new
tasks, install as V1. Imported only by the commands that train (torch).
"""
