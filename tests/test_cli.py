"""The ``noriai`` command dispatches to the packages' sub-commands."""

from dispatcher.cli import main


def test_help_lists_commands(capsys):
    """``noriai --help`` names every sub-command so a new operator can find them."""
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("routing", "serve", "gtfs", "demo", "sim"):
        assert name in out


def test_unknown_command_is_refused(capsys):
    """An unknown sub-command exits 2 with the usage, never a traceback."""
    assert main(["fly"]) == 2
    assert "unknown command" in capsys.readouterr().err
