"""The ground floor: settings, errors, labels, the engine and its facts, the Docker host,
showing commands.

Imports nothing else of labkit. Every other folder builds on it.
"""
