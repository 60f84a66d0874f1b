"""Tools for developers, never imported by the running bot: the benchmark and a fake Bot API server."""
