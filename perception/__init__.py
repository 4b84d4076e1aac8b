"""whsim perception: BEV projection, segmentation and detection extraction.

A library over arrays: it never imports sim or fusion.
"""
