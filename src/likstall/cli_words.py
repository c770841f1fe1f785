"""Swedish for the command line's frame: the words Typer and its Click print around our own help
texts ("Usage", "Options", "Commands", "Show this message and exit." …).

Typer 0.29 carries its own copy of Click (`typer._click`) with these words written in English, and
its rich help reads its panel titles from module constants. Both are set here, once, before the
app runs. They are private parts of Typer: if a later version moves them, the help falls back to
English words around Swedish texts, and `tests/test_cli.py` says so.
"""

from __future__ import annotations

HELP = "Visa den här hjälpen och avsluta."
USAGE = "Användning: "
PANELS = {"ARGUMENTS_PANEL_TITLE": "Argument", "OPTIONS_PANEL_TITLE": "Flaggor", "COMMANDS_PANEL_TITLE": "Kommandon",
          "ERRORS_PANEL_TITLE": "Fel", "ABORTED_TEXT": "Avbrutet.", "DEFAULT_STRING": "[standard: {}]",
          "REQUIRED_LONG_STRING": "[krävs]", "DEPRECATED_STRING": "(föråldrad) ",
          "RICH_HELP": "Skriv [blue]'{command_path} {help_option}'[/] för hjälp."}


def install() -> bool:
    """Put the Swedish words in place; False when this Typer has them elsewhere (the help stays English)."""
    try:
        from typer import rich_utils
        from typer._click import decorators, formatting
    except ImportError:
        return False
    if getattr(decorators, "_likstall_sv", False):
        return True
    for name, text in PANELS.items():
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, text)
    original_help, original_usage = decorators.help_option, formatting.HelpFormatter.write_usage

    def help_option(param_decls):
        add = original_help(param_decls)

        def apply(cmd):
            cmd = add(cmd)
            cmd.params[-1].help = HELP
            return cmd
        return apply

    def write_usage(self, prog, args="", prefix=None):
        return original_usage(self, prog, args, USAGE if prefix is None else prefix)

    decorators.help_option = help_option
    formatting.HelpFormatter.write_usage = write_usage
    decorators._likstall_sv = True
    return True
