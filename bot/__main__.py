"""`python -m bot` serves the app, like `northline serve`."""

from bot.cli import main

if __name__ == "__main__":
    main(["serve"])
