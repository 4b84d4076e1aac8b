"""whsim fusion: motion and measurement models, Kalman filters, association, tracks.

A library over arrays: it never imports sim or perception.
"""
