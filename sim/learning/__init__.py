"""Training data and training commands for the learned perception modules (`whsim dataset`, `whsim train`)."""
