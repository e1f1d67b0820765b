"""How the notebooks' stored outputs were recorded, and how strictly they are compared here.

For the author's tools (`tools/execute_notebook.py`, `tools/nbval`, `tools/bench`) and the
notebook tests; no notebook imports it. It stands on base only (the engine's facts and the
daemon's settings).
"""
