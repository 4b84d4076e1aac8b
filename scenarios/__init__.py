"""The shipped scenario library: YAML files installed with the package, found by name (`whsim run
default`); `whsim scenarios` lists them. The files are data; `sim.library` reads them."""
