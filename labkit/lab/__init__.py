"""The lab: the one choke point (`Lab`) through which lessons create things, its ledger,
cleanup, subnets, and `labkit.start`.

Imports labkit.base and labkit.images.
"""
