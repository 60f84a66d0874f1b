"""Thin async Telegram handlers: each turns an update into assistant calls and sends the replies."""
