"""Slack channel on slack-bolt: inbound (payload -> Incoming), render (Reply -> Block Kit), app (Bolt wiring)."""
