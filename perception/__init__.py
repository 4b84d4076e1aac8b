"""whsim perception: BEV projection, segmentation and detection over arrays (never imports sim or fusion)."""
