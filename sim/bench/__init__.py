"""`whsim bench`: strategies compared across scenarios and seeds on shared sensor data (SPEC §5)."""
