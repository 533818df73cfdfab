"""The evidence log and everything a verifier needs, usable against any chain."""
