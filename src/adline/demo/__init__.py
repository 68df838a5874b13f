"""Demo mode (docs/demo.md): a server whose clock the operator moves forward, stepping the
simulated networks an hour or a day at a time, or running them at a chosen speed."""
