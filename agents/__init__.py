"""Reference agents for eqenvs: scripted policies (world models and planners follow)."""
