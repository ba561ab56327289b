"""Policy content pack and the answer engine."""
