"""``python -m shopkeeper.cli``: the same command as ``shopkeeper``."""

from shopkeeper.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
