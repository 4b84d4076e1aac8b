"""The semantic class ids every perception module shares (floor 0 … other 7), and the tracked ones."""

CLASS_NAMES = ("floor", "wall", "rack", "pallet", "forklift", "agv", "worker", "other")
N_CLASSES = len(CLASS_NAMES)
TRACKED = (4, 5, 6)  # forklift, agv, worker: the bodies that move
TRACKED_NAMES = tuple(CLASS_NAMES[i] for i in TRACKED)  # ("forklift", "agv", "worker")
