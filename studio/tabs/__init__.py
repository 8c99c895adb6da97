"""One module per tab; each has ``build(home, demo, lang)`` called inside the app's Blocks context."""
