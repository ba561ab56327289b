"""Microsoft Teams channel on botbuilder: inbound (Activity -> Incoming), render (Reply -> Adaptive Card), app (CloudAdapter).

botbuilder is used only in this folder (its support ended 2025-12-31; the Microsoft 365 Agents SDK
succeeds it): swapping it touches this folder only.
"""
