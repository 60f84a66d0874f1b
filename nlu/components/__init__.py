"""Custom Rasa 3.6 graph components, one per file."""
