"""The scenario format: pydantic models, YAML with file:line positions, cross-reference checks, imports."""
