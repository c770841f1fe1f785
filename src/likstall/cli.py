"""The `likstall` command. A thin layer: every command calls one library function."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .cli_words import install as _swedish_frame
from .errors import InputError, LikstallError

_swedish_frame()  # "Användning", "Flaggor", "Kommandon" … around the Swedish help texts

app = typer.Typer(
    help="likstall — likställighet i stöd till våldsutsatta: inläsning, statistik och röjandekontroll.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# Wide enough for the quarantine's messages when the output goes to a file or a pipe.
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)

DEMO_DB = "likstall-demo.duckdb"
DEMO_DIR = "likstall-demo-data"


def _fmt(n: int | float) -> str:
    """Swedish thousands separator (2 779)."""
    from babel.numbers import format_decimal

    return format_decimal(n, locale="sv_SE")


def _date(value: Optional[str], option: str) -> Optional[dt.date]:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        from .contract.personnummer import safe_name

        # The value is repeated only masked: a personnummer typed in the wrong place must not be echoed. (An
        # InputError, not click's BadParameter, whose frame says "Invalid value for" in English.)
        raise InputError(f"{option}: {safe_name(value)!r} är inget datum; skriv ÅÅÅÅ-MM-DD") from None


def _command() -> str:
    """How the user calls likstall from the shell they are in: `likstall` when that name on PATH is this
    program, else the path of this program (`.venv/bin/likstall` after `./demo.sh`, without an
    activated venv), so that every "Nästa steg" line runs as written."""
    import shutil

    me = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    found = shutil.which("likstall")
    if me is not None and me.name == "likstall":
        if found and Path(found).resolve() == me:
            return "likstall"
        try:
            return str(me.relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(me)
    if found:  # `python -m likstall` with the command installed on PATH
        return "likstall"
    return f"{sys.executable} -m likstall"


def _progress(enabled: bool):
    return Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                    disable=not enabled, transient=True)


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Option("--out", help="Mapp att skriva till")],
    seed: Annotated[int, typer.Option(help="Slumpfrö; samma frö ger samma data")] = 2021,
    years: Annotated[str, typer.Option(help="Årsintervall, t.ex. 2015-2021")] = "2015-2021",
    districts: Annotated[int, typer.Option(help="Antal stadsdelar (13 = Stockholm, annars syntetiska)")] = 13,
    messy: Annotated[bool, typer.Option("--messy", help="Lägg in realistiska fel")] = False,
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx eller parquet")] = "csv",
    truth: Annotated[Optional[str], typer.Option("--truth", help="Känd sanning för kalibrering: null, null-socio, "
                                                 "placements, stays, grant_rate, absent_target_group eller shis_pathway")] = None,
) -> None:
    """Skriv det syntetiska demodatasetet enligt importkontraktet."""
    from .demo.generate import TRUTHS, parse_years
    from .demo.write import FORMATS, write_demo_data

    if fmt not in FORMATS:
        raise typer.BadParameter(f"välj en av {', '.join(FORMATS)}", param_hint="--format")
    if districts < 1:
        raise typer.BadParameter("minst 1", param_hint="--districts")
    if truth is not None and truth not in TRUTHS:
        raise typer.BadParameter(f"välj en av {', '.join(TRUTHS)}", param_hint="--truth")
    try:
        year_list = parse_years(years)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--years") from None
    summary = write_demo_data(out_dir, seed=seed, years=year_list, districts=districts, messy=messy, fmt=fmt,
                              truth=truth)
    out.print(f"[bold]Syntetiska demodata[/bold] skrivna till {out_dir} (uttagsdatum {summary['extract_date']}):")
    for name, n in summary["rows"].items():
        out.print(f"  {name:<15} {_fmt(n):>10} rader")
    if "truth" in summary:
        tr = summary["truth"]
        where = ", ".join(tr["effect_districts"]) or "inga"
        out.print(f"Känd sanning: {tr['mode']} ({tr['description']}); stadsdelar med effekt: {where} "
                  "(står i demo-data.json)")


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Filer eller mappar (CSV, XLSX, Parquet)")],
    db: Annotated[Path, typer.Option("--db", help="Databasfil (DuckDB); skapas om den inte finns")],
    extract_date: Annotated[Optional[str], typer.Option("--extract-date", help="Uttagsdatum ÅÅÅÅ-MM-DD (standard: i dag)")] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help="Mappningsfil (TOML eller YAML)")] = None,
    key_file: Annotated[Optional[Path], typer.Option("--key-file", help="Nyckelfil för pseudonymer")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Skriv ett JSON-objekt i stället för en tabell")] = False,
) -> None:
    """Validera, pseudonymisera och läs in exportfiler i en transaktion."""
    from .ingest.load import ingest as run

    with _progress(not as_json and sys.stderr.isatty()) as progress:
        task = progress.add_task("Läser in", total=1.0)
        result = run(paths, db, extract_date=_date(extract_date, "--extract-date"), mapping=mapping,
                     key_file=key_file, progress=lambda msg, frac: progress.update(task, description=msg, completed=frac))
    if as_json:
        print(result.to_json())
        return
    _print_ingest(result, db)


def _print_ingest(result, db) -> None:
    from .ingest.rules import describe

    t = Table(title=f"Inläsning {result.load_id} till {db} (uttagsdatum {result.extract_date})")
    for col in ("tabell", "lästa", "nya", "ändrade", "oförändrade", "karantän"):
        t.add_column(col, justify="right" if col != "tabell" else "left")
    for name, c in result.by_table.items():
        t.add_row(name, *(_fmt(c[k]) for k in ("rows_read", "inserted", "updated", "unchanged", "quarantined")))
    t.add_row("[bold]totalt", *(f"[bold]{_fmt(getattr(result, k))}" for k in
                                ("rows_read", "inserted", "updated", "unchanged", "quarantined")))
    out.print(t)
    if result.quarantined:
        out.print(f"[bold]{_fmt(result.quarantined)} rader i karantän[/bold] (en rad kan bryta mot flera regler):")
        for rule, n in sorted(result.by_rule.items(), key=lambda kv: -kv[1]):
            out.print(f"  {_fmt(n):>7}  {rule}: {describe(rule)}")
        out.print(f"  Se raderna med: {_command()} quarantine --db {db}")
    else:
        out.print("Inga rader i karantän.")
    for f in result.files:
        if f["unknown_columns"]:
            out.print(f"Kolumner utanför kontraktet i {f['file']} lagrades inte: {', '.join(f['unknown_columns'])}")
    if result.ignored_files:
        out.print(f"Filer som inte lästes (okänt format): {', '.join(result.ignored_files)}")


@app.command()
def quarantine(
    db: Annotated[Path, typer.Option("--db", help="Databasfil")],
    csv: Annotated[Optional[Path], typer.Option("--csv", help="Skriv listan som CSV (semikolon, UTF-8 med BOM)")] = None,
    load: Annotated[Optional[int], typer.Option("--load", help="Endast en inläsning")] = None,
) -> None:
    """Lista rader i karantän: fil, rad, kolumn, regel och meddelande."""
    from .ingest.quarantine import COLUMNS_SV, quarantine as q

    df = q(db, load_id=load)
    if csv:
        from .render.safe_csv import write_csv

        write_csv(df.drop(columns=["rule_description"]).rename(columns=COLUMNS_SV), csv)
        out.print(f"{_fmt(len(df))} rader skrivna till {csv}")
        return
    if df.empty:
        out.print("Karantänen är tom.")
        return
    t = Table(title=f"Karantän i {db} ({_fmt(len(df))} fel)")
    for col in ("inläsning", "fil", "rad", "kolumn", "regel", "meddelande"):
        t.add_column(col, overflow="fold")
    for r in df.head(500).itertuples():
        t.add_row(str(r.load_id), r.file, str(r.row_number), r.column_name or "", r.rule, r.message)
    out.print(t)
    if len(df) > 500:
        out.print(f"… och {_fmt(len(df) - 500)} till; skriv alla med --csv FIL")


@app.command()
def schema(as_json: Annotated[bool, typer.Option("--json", help="Som JSON Schema")] = False) -> None:
    """Visa importkontraktet."""
    from .contract.columns import TABLES
    from .contract.schema import PERSONNUMMER_RULE_SV, contract_schema

    if as_json:
        print(json.dumps(contract_schema(), ensure_ascii=False, indent=2))
        return
    for t in TABLES.values():
        tab = Table(title=f"{t.name} ({t.swedish}) — {t.description_sv}", title_justify="left")
        for col in ("kolumn", "svenska namn", "typ", "krävs", "beskrivning"):
            tab.add_column(col, overflow="fold")
        for c in t.columns:
            tab.add_row(c.name, ", ".join(c.aliases), c.codes or c.kind, "ja" if c.required else "", c.description_sv)
        out.print(tab)
    out.print(PERSONNUMMER_RULE_SV)


@app.command()
def publish(
    db: Annotated[Path, typer.Option("--db", help="Databasfil")],
    year: Annotated[int, typer.Option("--year", help="Rapportår")],
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Skriv också releasens tables.csv hit")] = None,
    threshold: Annotated[int, typer.Option("--threshold", help="Tröskel T: antal 1..T−1 undertrycks")] = 5,
    zeros: Annotated[str, typer.Option("--zeros", help="visible (nollor visas) eller protected")] = "visible",
    revise: Annotated[bool, typer.Option("--revidera", help="Rätta året med dagens data (sena registreringar); "
                                                             "annars visas ett redan publicerat år som förut")] = False,
    suppression: Annotated[str, typer.Option("--suppression", help="Sekundär undertryckning: greedy (girig, "
                                                                   "standard) eller optimal (MILP, se docs/disclosure.md)")] = "greedy",
) -> None:
    """Skapa årets release: allt som publiceras, skyddat tillsammans med alla tidigare releaser."""
    from .disclosure.policy import Policy
    from .publish import publish as run

    if zeros not in ("visible", "protected"):
        raise typer.BadParameter("visible eller protected", param_hint="--zeros")
    if suppression not in ("greedy", "optimal"):
        raise typer.BadParameter("greedy eller optimal", param_hint="--suppression")
    with err.status("Statistik och röjandekontroll …"):
        r = run(db, year, out_dir, policy=Policy(threshold=threshold, zeros=zeros), revise=revise,
                suppression=suppression)
    state = "skapad" if r["new_release"] else "oförändrad (samma data, historik och policy som förra)"
    out.print(f"[bold]Release {r['release_id']}[/bold] ({year}, version {r['version']}) {state}: "
              f"{_fmt(r['n_suppressed'])} av {_fmt(r['n_cells'])} antal undertryckta ({_pct(r['share_suppressed'])}); "
              f"{len(r['findings'])} fynd.")
    for table, level, crit in r["steps"]:
        out.print(f"  {table}: redovisas {LEVELS_SV.get(level, level)} (kriterier {', '.join(crit)})")
    if r["path"]:
        out.print(f"  {_fmt(r['rows'])} celler skrivna till {r['path']}")


LEVELS_SV = {"region": "per region", "city": "bara för hela staden", "omitted": "inte"}


@app.command()
def releases(db: Annotated[Path, typer.Option("--db", help="Databasfil")]) -> None:
    """Lista releaserna i databasen."""
    from .release import list_releases

    t = Table(title=f"Releaser i {db}")
    for col in ("release", "år", "version", "skapad", "antal", "undertryckta"):
        t.add_column(col)
    for r in list_releases(db):
        t.add_row(str(r["release_id"]), str(r["year"]), str(r["version"]), str(r["created"])[:19],
                  _fmt(r["n_cells"]), _fmt(r["n_suppressed"]))
    out.print(t)


def _pct(share: float) -> str:
    from babel.numbers import format_percent

    return format_percent(share, format="#,##0.0\xa0%", locale="sv_SE")


@app.command()
def audit(
    db: Annotated[Path, typer.Option("--db", help="Databasfil")],
    year: Annotated[Optional[int], typer.Option("--year", help="Visa ett års tabeller (granskningen gäller alla)")] = None,
) -> None:
    """Kör angriparen mot allt som publicerats (alla releaser tillsammans); GODKÄND/UNDERKÄND per kriterium."""
    from .disclosure.audit import criteria_sv
    from .disclosure.ladder import HISTORY_PREFIX
    from .publish import audit as run

    with err.status("Angriparen räknar …"):
        rep = run(db, year)
    res = rep.result
    out.print(f"[bold]Röjandeaudit[/bold] — {rep.source}. Tröskel {rep.policy.T}; scenarier "
              f"{', '.join(res.scenarios_run)}.")
    by_year = {r["release_id"]: r["year"] for r in rep.releases}
    for name, t in rep.registry.tables.items():
        rid = int(name[len(HISTORY_PREFIX):].split(":")[0])
        if year is not None and by_year.get(rid) != year:
            continue
        sup = [k for k in t.cells if rep.status[k] in ("primary", "secondary")]
        if not sup:
            continue
        tab = Table(title=f"release {rid}: {t.name.split(':', 2)[-1]} — {t.title}", title_justify="left")
        for col in ("cell", "typ", "angriparens intervall"):
            tab.add_column(col)
        for k in sup:
            b = next((res.bounds[s][k] for s in ("S1", "S0") if k in res.bounds.get(s, {})), None)
            interval = "–" if b is None else f"{b.lo:.0f}–{'∞' if b.hi == float('inf') else f'{b.hi:.0f}'}"
            tab.add_row(k.label(), "primär" if rep.status[k] == "primary" else "sekundär", interval)
        out.print(tab)
    out.print("\n[bold]Kriterier[/bold]")
    failed = {f.criterion for f in res.findings}
    for c, text in criteria_sv(rep.policy).items():
        mark = "[red]UNDERKÄND[/red]" if c in failed else "[green]GODKÄND[/green]"
        out.print(f"  {c:<4} {mark}  {text}")
    for f in res.findings[:50]:
        cell = f.cell.label() if f.cell else ""
        out.print(f"    {f.criterion} {f.scenario} {cell} {f.detail}", highlight=False)
    for f in res.warnings[:10]:
        out.print(f"[dim]Varning: {f.criterion} {f.detail}[/dim]")
    for note in res.notes:
        out.print(f"[dim]Not: {note}[/dim]")
    out.print(f"Kontrollerade delmängder: {_fmt(res.checked_atoms)}.")
    if not res.passed:
        out.print("[bold red]UNDERKÄND[/bold red]")
        raise typer.Exit(1)
    out.print("[bold green]GODKÄND[/bold green]")


@app.command()
def rapport(
    db: Annotated[Path, typer.Option("--db", help="Databasfil")],
    year: Annotated[int, typer.Option("--year", help="Rapportår")],
    out_dir: Annotated[Path, typer.Option("--out", help="Mapp att skriva rapporten till")],
    formats: Annotated[str, typer.Option("--format", help="Kommaseparerat: html,pdf,xlsx,csv")] = "html,pdf,xlsx,csv",
    lang: Annotated[str, typer.Option("--lang", help="sv eller en")] = "sv",
    draft: Annotated[bool, typer.Option("--draft", help="Ett utkast (UTKAST på varje sida), ingen release")] = False,
    release_id: Annotated[Optional[int], typer.Option("--release", help="En viss release (standard: årets senaste)")] = None,
) -> None:
    """Skriv årsuppföljningen (HTML, PDF, Excel, CSV) ur årets release, eller ett utkast."""
    from .render import FORMATS, helper

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise typer.BadParameter(f"välj bland {', '.join(FORMATS)}", param_hint="--format")
    if lang not in ("sv", "en"):
        raise typer.BadParameter("sv eller en", param_hint="--lang")
    # A draft starts the drawing helper before it imports the statistics (render/helper.py); a report
    # from a release starts it only when the release has no drawn charts (rapport.make_report).
    drawing = helper.running() if draft and {"html", "pdf", "xlsx"} & set(chosen) else contextlib.nullcontext()
    with drawing, _progress(sys.stderr.isatty()) as progress:
        from .rapport import make_report

        task = progress.add_task("Uppföljning", total=None)
        r = make_report(db, year, out_dir, formats=chosen, lang=lang, draft=draft, release_id=release_id,
                        progress=lambda msg: progress.update(task, description=msg))
    for fmt_name, path in r["written"].items():
        out.print(f"  {fmt_name:<5} {path}")
    what = "Utkast (ingen release)" if r["draft"] else f"Release {r['release_id']}"
    out.print(f"{what}: {_fmt(r['n_suppressed'])} av {_fmt(r['n_cells'])} antal undertryckta "
              f"({_pct(r['share_suppressed'])}); {len(r['findings'])} fynd.")


user_app = typer.Typer(help="Användare av webbgränssnittet och API:t.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Användarnamn")],
    role: Annotated[str, typer.Option("--role", help="admin, analytiker, stadsdel eller lasare")],
    db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB),
    district: Annotated[Optional[str], typer.Option("--district", help="Stadsdelskod (rollen stadsdel)")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Läs lösenordet från standard in")] = False,
) -> None:
    """Lägg till en användare. Utan --password-stdin frågas efter lösenordet (det visas inte)."""
    from .web.users import add_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    u = add_user(db, name, role, district, password)
    out.print(f"Användaren {u.username} ({u.role}{', ' + u.district if u.district else ''}) är skapad.")


@user_app.command("list")
def user_list(db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB)) -> None:
    """Lista användarna."""
    from .web.users import list_users

    t = Table(title="Användare")
    for col in ("namn", "roll", "stadsdel", "avstängd", "lösenord", "skapad"):
        t.add_column(col)
    for u in list_users(db):
        t.add_row(u["username"], u["role"], u["district"] or "", "ja" if u["disabled"] else "",
                  "ja" if u["has_password"] else "nej", str(u["created"])[:16])
    out.print(t)


@user_app.command("disable")
def user_disable(name: Annotated[str, typer.Argument()],
                 db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB)) -> None:
    """Stäng av en användare (och dess API-nycklar)."""
    from .web.users import disable_user

    disable_user(db, name)
    out.print(f"{name} är avstängd.")


@user_app.command("token")
def user_token(name: Annotated[str, typer.Argument()],
               db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB)) -> None:
    """Skapa en API-nyckel. Den visas en gång; bara dess hash sparas."""
    from .web.users import new_token

    print(new_token(db, name))


@user_app.command("tokens")
def user_tokens(name: Annotated[Optional[str], typer.Argument(help="Bara den här användarens")] = None,
                db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB)) -> None:
    """Lista API-nycklarna (id, användare, skapad, spärrad; aldrig hemligheten)."""
    from .web.users import list_tokens

    t = Table(title="API-nycklar")
    for col in ("id", "användare", "skapad", "spärrad"):
        t.add_column(col)
    for k in list_tokens(db, name):
        t.add_row(k["id"], k["username"], str(k["created"])[:16], "spärrad" if k["revoked"] else "")
    out.print(t)


@user_app.command("revoke")
def user_revoke(token: Annotated[str, typer.Argument(help="Nyckelns id, lst_<16 hextecken>")],
                db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB)) -> None:
    """Spärra en API-nyckel (användarens andra nycklar och inloggningar gäller som förut)."""
    from .web.users import revoke_token, token_id_of

    owner = revoke_token(db, token)
    out.print(f"lst_{token_id_of(token)} ({owner}) är spärrad.")


@app.command()
def serve(
    db: Annotated[Path, typer.Option("--db", help="Databasfil")] = Path(DEMO_DB),
    host: Annotated[str, typer.Option(help="Adress")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    behind_tls: Annotated[bool, typer.Option("--behind-tls", help="Bakom en TLS-proxy: Secure-kakor och HSTS")] = False,
    allowed_host: Annotated[Optional[list[str]], typer.Option("--allowed-host",
                            help="Värdnamn som besvaras (upprepa; utan: bara localhost)")] = None,
    workers: Annotated[Optional[int], typer.Option("--workers", min=1, max=32,
                       help="Serverprocesser (standard: en per kärna, högst 4)")] = None,
) -> None:
    """Starta webbgränssnittet och API:t."""
    from .store.connection import connect

    con = connect(db)
    n = con.execute("SELECT count(*) FROM users WHERE NOT disabled").fetchone()[0]
    con.close()
    if n == 0:
        err.print(f"Det finns inga användare än. Skapa en administratör först: {_command()} user add NAMN --role admin --db {db}")
    n_workers = workers or default_workers()
    out.print(f"likstall på http://{host}:{port}/ med {n_workers} {'process' if n_workers == 1 else 'processer'} "
              "(avsluta med Ctrl+C)")
    if n_workers == 1:
        import uvicorn

        from .web.app import create_app
        from .web.serving import NoDelayH11Protocol

        uvicorn.run(create_app(db, https_only=behind_tls, allowed_hosts=allowed_host, warm=True), host=host, port=port,
                    http=NoDelayH11Protocol, log_level="warning", access_log=False)
    else:
        from .web.app import serve_processes

        serve_processes(db, host=host, port=port, workers=n_workers, https_only=behind_tls, allowed_hosts=allowed_host)


def default_workers() -> int:
    """One server process per core this process may use, at most 4 (each keeps its own caches)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option("--dir", help="Arbetsmapp för demodata och databas")] = Path("."),
    seed: Annotated[int, typer.Option(help="Slumpfrö")] = 2021,
    serve_after: Annotated[bool, typer.Option("--serve", help="Starta webbgränssnittet efteråt")] = False,
    port: Annotated[int, typer.Option(help="Port för --serve")] = 8000,
    replace: Annotated[bool, typer.Option("--ersatt", help="Ersätt demodatabasen utan att fråga, också när "
                                          "den har användare, API-nycklar eller releaser som demon inte gjorde")] = False,
) -> None:
    """Huvudjobbet på demodata: skapa data, läs in dem och visa vad som hände."""
    from .demo.write import write_demo_data
    from .ingest.load import ingest as run

    from .demo.store_guard import foreign

    workdir.mkdir(parents=True, exist_ok=True)
    data_dir, db = workdir / DEMO_DIR, workdir / DEMO_DB
    if db.exists():
        # The demo starts from scratch every time; what someone added since the last run is not thrown
        # away without asking (and never without a terminal to ask in, unless --ersatt says so).
        lost = foreign(db)
        if lost and not replace:
            said = f"{db} innehåller {', '.join(lost)}, som försvinner om demon börjar om."
            if not sys.stdin.isatty():
                raise LikstallError(f"{said} Kör med --ersatt för att ersätta databasen, eller med --dir en annan "
                                    "mapp. Inget har ändrats.")
            if not typer.confirm(f"{said} Ersätta databasen?", default=False):
                err.print("Inget har ändrats.")
                raise typer.Exit(1)
        db.unlink()
    wal = Path(str(db) + ".wal")
    if wal.exists():
        wal.unlink()
    out.print("[bold]1. Syntetiska demodata[/bold] (13 stadsdelar i Stockholm, 2015–2021; inga verkliga personer)")
    # The data are made in a process of their own: the one that writes the store then never held the
    # generated ids in its memory (DuckDB can write uninitialised block tails, see heap.py), only the files.
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        summary = pool.apply(write_demo_data, (data_dir,), {"seed": seed, "messy": True})
    out.print(f"   {data_dir}: {', '.join(summary['files'])} (med realistiska fel i ärenden och insatser)")
    out.print(f"[bold]2. Inläsning[/bold] till {db}")
    with _progress(sys.stderr.isatty()) as progress:
        task = progress.add_task("Läser in", total=1.0)
        result = run([data_dir], db, extract_date=dt.date.fromisoformat(summary["extract_date"]),
                     progress=lambda msg, frac: progress.update(task, description=msg, completed=frac))
    _print_ingest(result, db)
    from .publish import publish as make
    from .rapport import make_report

    rep_dir = workdir / "likstall-demo-rapport"
    out.print("[bold]3. Releaser[/bold] för 2020 och 2021, skyddade tillsammans (2021 tar 2020 som känt)")
    made = []
    for y in (2020, 2021):
        with err.status(f"Release {y}: statistik och röjandekontroll …"):
            p = make(db, y)
        made.append(p["release_id"])
        out.print(f"   release {p['release_id']} ({y}): {_fmt(p['n_suppressed'])} av {_fmt(p['n_cells'])} antal "
                  f"undertryckta ({_pct(p['share_suppressed'])}); {len(p['findings'])} fynd")
        for table, level, crit in p["steps"]:
            out.print(f"     {table}: redovisas {LEVELS_SV.get(level, level)} (kriterier {', '.join(crit)})")
    _record_demo(db, releases=made)
    out.print(f"[bold]4. Årsuppföljning 2021[/bold] ur releasen till {rep_dir}")
    with _progress(sys.stderr.isatty()) as progress:
        task = progress.add_task("Uppföljning", total=None)
        r = make_report(db, 2021, rep_dir, progress=lambda msg: progress.update(task, description=msg))
    for fmt_name, path in r["written"].items():
        out.print(f"   {fmt_name:<5} {path}")
    out.print(f"   Öppna rapporten: {r['written'].get('html')}")
    me = _command()
    out.print("[bold]Nästa steg[/bold]" + ("" if me == "likstall" else
              " (eller [bold]source .venv/bin/activate[/bold], så räcker det att skriva likstall)"
              if me.endswith(".venv/bin/likstall") else ""))
    for cmd, what in ((f"{me} quarantine --db {db}", "raderna i karantän och varför"),
                      (f"{me} audit --db {db}", "röjandegranskningen av allt som publicerats"),
                      (f"{me} releases --db {db}", "releaserna i databasen"),
                      (f"{me} schema", "importkontraktet"),
                      (f"{me} demo --serve", "webbgränssnittet med en demoinloggning")):
        out.print(f"  {cmd:<58} # {what}", highlight=False)
    if serve_after:
        import secrets as _secrets

        from .web.users import add_user

        password = _secrets.token_urlsafe(12)
        add_user(db, "demo", "admin", None, password)
        _record_demo(db, users=["demo"])
        out.print(f"[bold]5. Webbgränssnittet[/bold]: logga in som [bold]demo[/bold] med lösenordet [bold]{password}[/bold] "
                  "(slumpat för den här körningen).")
        serve(db=db, host="127.0.0.1", port=port)


def _record_demo(db: Path, **made) -> None:
    from .demo.store_guard import record
    from .store.connection import connect

    con = connect(db)
    try:
        record(con, **made)
    finally:
        con.close()


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class _MaskedStream:
    """A text stream that masks personnummer-shaped runs on their way out: click's and Typer's own usage
    errors repeat a bad argument as typed ("No such command ...", a choice), and one typed in the wrong
    place must not be echoed on the screen or into a log that collects the terminal."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if any(c.isdigit() for c in text):
            from .contract.personnummer import contains_personnummer, mask_personnummer

            # On a colour terminal the highlighter puts escape codes inside what was typed ("811231 \x1b[1;32m-9876"):
            # the text is checked without them, and written masked and plain when it holds a personnummer.
            plain = _ANSI.sub("", text)
            if contains_personnummer(plain):
                text = mask_personnummer(plain)
        self._stream.write(text)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def main() -> None:
    """Entry point: user errors get a Swedish message and exit code 2, never a traceback."""
    sys.stderr = _MaskedStream(sys.stderr)
    try:
        app()  # standalone: click itself reports usage errors and exits
    except LikstallError as exc:
        err.print(f"[bold red]Fel:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("Avbrutet.")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 — last line of defence: no traceback with data in it
        if os.environ.get("LIKSTALL_DEBUG"):
            raise
        err.print(f"[bold red]Internt fel[/bold red] ({type(exc).__name__}). Kör igen med LIKSTALL_DEBUG=1 "
                  "för detaljer och rapportera felet.", highlight=False)
        sys.exit(3)
