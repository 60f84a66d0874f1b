"""Guichet: a Telegram assistant for migrants and refugees (Telegram layer, assistant, CLI)."""
