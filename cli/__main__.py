"""`python -m tsrnn_cli` runs the tsrnn command."""

from tsrnn_cli.app import main

main()
