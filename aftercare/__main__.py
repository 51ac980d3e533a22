"""`python -m aftercare` is the `aftercare` command."""

from .cli import main

main()
