"""The local web chat: a static page and its JSON API on the core's neutral types."""
