"""Chapter 03, networking: veth pairs and bridges, published ports and NAT, DNS between
containers, the two-tier app, and the chapter's checks.

A chapter folder imports downward only (base, images, lab, lessons), never another chapter.
"""
