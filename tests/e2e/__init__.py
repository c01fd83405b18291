"""End to end: signed requests over HTTP into the real app, a real database, the Slack emulator."""
