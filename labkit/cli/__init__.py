"""The `labkit` command (`python -m labkit`) and its doctor.

The top floor: it may import anything below.
"""
