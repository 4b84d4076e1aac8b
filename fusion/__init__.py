"""whsim fusion: motion/measurement models, Kalman filters, association, tracks (never imports sim or perception)."""
