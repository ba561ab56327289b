"""Anonymous violation reports: the form, encryption at rest, case references and codes."""
