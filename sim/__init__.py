"""whsim application: world, sensors, stepped loop, scoring, outputs, plots, CLI."""
