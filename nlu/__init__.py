"""Natural-language understanding: the only package that imports Rasa."""
