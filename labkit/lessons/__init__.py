"""Fixtures several chapters share: the local registry and the lesson's "outside world" netns.

Imports labkit.base and labkit.lab.
"""
